using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.TestingHost;

/// <summary>How a <see cref="TestCluster"/> is built.</summary>
public sealed class TestClusterOptions
{
    public int Silos { get; set; } = 3;

    public string ClusterName { get; set; } = "test";

    /// <summary>Smaller than production (1024) so tests start and scan fast.</summary>
    public int PartitionCount { get; set; } = 64;

    public int N { get; set; } = 3;

    public int R { get; set; } = 2;

    public int W { get; set; } = 2;

    /// <summary>sqlite or log (in a temp directory, Normal durability), or memory.</summary>
    public string StorageEngine { get; set; } = "sqlite";

    /// <summary>Serve the dashboard and JSON API on an HTTP port.</summary>
    public bool Http { get; set; } = true;

    /// <summary>
    /// Run the Orleans dashboard on every silo (a silo's default). Off unless a test looks at it: its per-second
    /// statistics and grain-call profiler made nine quorum and read-repair tests take 26-39 s instead of 17 s here.
    /// </summary>
    public bool OrleansDashboard { get; set; }

    public int GossipIntervalMs { get; set; } = 200;

    /// <summary>
    /// The silos' request and replica timeouts. Well above the CPU stalls of a shared 2-core machine running several
    /// test assemblies at once (replica calls of 1 s timed out there under load): a slow replica is measured, not
    /// failed. A link cut with <see cref="TestCluster.Partition"/> fails at once, whatever these say.
    /// </summary>
    public int RequestTimeoutMs { get; set; } = 5000;

    public int ReplicaTimeoutMs { get; set; } = 3000;

    /// <summary>StartAsync returns only once every silo holds the same membership (default); false returns as soon as all are started.</summary>
    public bool WaitForConvergence { get; set; } = true;

    /// <summary>Wraps each silo's store (silo name, store), e.g. with a fault injector or a slow disk.</summary>
    public Func<string, Storage.IPartitionStore, Storage.IPartitionStore>? WrapStore { get; set; }

    /// <summary>Last word on each silo's settings (index, options).</summary>
    public Action<int, SiloOptions>? Configure { get; set; }

    /// <summary>Capture silo logs (default: warnings and errors to the console).</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; set; } = Microsoft.Extensions.Logging.LogLevel.Warning;
}
