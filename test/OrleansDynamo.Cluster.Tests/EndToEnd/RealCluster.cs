using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OrleansDynamo.Client;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>The four ports one silo process listens on, all on 127.0.0.1.</summary>
internal sealed record SiloPorts(int Grpc, int Http, int Silo, int Gateway);

/// <summary>
/// One silo of a <see cref="RealCluster"/>: a name, ports, a data directory and command-line arguments that
/// stay the same across restarts, and the process currently running it (if any).
/// </summary>
internal sealed class SiloProcess(string name, SiloPorts ports, string dataDirectory, IReadOnlyList<string> arguments)
{
    private readonly List<ChildProcess> _incarnations = [];

    public string Name { get; } = name;

    public SiloPorts Ports { get; } = ports;

    public string DataDirectory { get; } = dataDirectory;

    public IReadOnlyList<string> Arguments { get; } = arguments;

    /// <summary>The process running the silo now, or null while it is stopped (killed by the test).</summary>
    public ChildProcess? Process { get; private set; }

    public string GrpcAddress => $"http://127.0.0.1:{Ports.Grpc}";

    public string HttpAddress => $"http://127.0.0.1:{Ports.Http}";

    /// <summary>Every process that ran this silo, oldest first (killed ones keep their output).</summary>
    public IReadOnlyList<ChildProcess> Incarnations => _incarnations;

    internal void Started(ChildProcess process)
    {
        _incarnations.Add(process);
        Process = process;
    }

    internal void Stopped() => Process = null;

    public override string ToString() => Name;
}

/// <summary>
/// Silos as real child processes (<c>dotnet OrleansDynamo.Silo.dll</c>) started from the repository's
/// <c>silo-config/local-cluster</c> files with per-test ports, data directories and clustering store:
/// start, kill with SIGKILL, restart on the same ports and data, status through the client SDK, and on
/// failure the tail of every silo's output. Ports come from below Linux's ephemeral range (32768-60999), so
/// a killed silo's port is not taken by some outgoing connection before the silo restarts.
/// </summary>
internal sealed class RealCluster : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(15);
    private static readonly HashSet<int> HandedOut = [];

    private readonly List<SiloProcess> _silos = [];
    private readonly string[] _clusteringArgs;
    private readonly string[] _commonArgs;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private DynamoClient? _admin;

    private RealCluster(string root, string[] clusteringArgs, string[] commonArgs)
    {
        Root = root;
        _clusteringArgs = clusteringArgs;
        _commonArgs = commonArgs;
    }

    /// <summary>Environment variables every silo process gets (e.g. a log level, <c>Logging__LogLevel__Category=Trace</c>).</summary>
    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The test's temporary directory: data directories and (sqlite mode) the cluster file.</summary>
    public string Root { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public SiloProcess this[string name] => _silos.Single(s => s.Name == name);

    /// <summary>A cluster whose silos share a SQLite membership file in a new temporary directory.</summary>
    public static RealCluster Sqlite(string label, params string[] commonArgs)
    {
        var root = NewRoot(label);
        return new RealCluster(root, ["--Silo:Clustering:Mode=sqlite", $"--Silo:Clustering:SqlitePath={Path.Combine(root, "cluster.db")}"], commonArgs);
    }

    /// <summary>A cluster whose silos keep Orleans membership in the Redis server at <paramref name="redisConnectionString"/>.</summary>
    public static RealCluster Redis(string label, string redisConnectionString, params string[] commonArgs) =>
        new(NewRoot(label), ["--Silo:Clustering:Mode=redis", $"--Silo:Clustering:RedisConnectionString={redisConnectionString}"], commonArgs);

    private static string NewRoot(string label)
    {
        var root = Path.Combine(Path.GetTempPath(), $"od-{label}-{Guid.NewGuid():N}"[..(4 + label.Length + 12)]);
        Directory.CreateDirectory(root);
        return root;
    }

    /// <summary>
    /// Defines (does not start) a silo from <paramref name="configFile"/> (relative to the repository root), with
    /// its own ports and data directory, the cluster's clustering store, the common arguments, then <paramref name="extra"/>.
    /// </summary>
    public SiloProcess Add(string name, string configFile, params string[] extra)
    {
        var p = StablePorts(4);
        var ports = new SiloPorts(p[0], p[1], p[2], p[3]);
        var data = Path.Combine(Root, name);
        string[] args =
        [
            "--config", configFile,
            $"--Silo:SiloName={name}",
            $"--Silo:GrpcPort={ports.Grpc}", $"--Silo:HttpPort={ports.Http}",
            $"--Silo:SiloPort={ports.Silo}", $"--Silo:GatewayPort={ports.Gateway}",
            $"--Silo:DataDirectory={data}",
            .. _clusteringArgs, .. _commonArgs, .. extra,
        ];
        var silo = new SiloProcess(name, ports, data, args);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>Adds silo1..silo<paramref name="count"/> from <c>silo-config/local-cluster/silo{i}.json</c>.</summary>
    public IReadOnlyList<SiloProcess> AddLocalCluster(int count = 3, params string[] extra) =>
        Enumerable.Range(1, count).Select(i => Add($"silo{i}", $"silo-config/local-cluster/silo{i}.json", extra)).ToList();

    /// <summary>Starts a process for <paramref name="silo"/> (first start or restart: same ports, same data).</summary>
    public void Start(SiloProcess silo)
    {
        if (silo.Process is { HasExited: false }) throw new InvalidOperationException($"{silo.Name} is running already");
        silo.Started(ChildProcess.Start(RepoPaths.SiloDll, RepoPaths.Root, Environment, [.. silo.Arguments]));
    }

    /// <summary>Kills <paramref name="silo"/>'s process with SIGKILL (no graceful stop) and waits until it is gone.</summary>
    public async Task KillAsync(SiloProcess silo)
    {
        var process = silo.Process ?? throw new InvalidOperationException($"{silo.Name} is not running");
        await process.KillHardAsync(KillTimeout);
        silo.Stopped();
    }

    /// <summary>Fails the wait at once when a silo the test did not kill has exited.</summary>
    public void ThrowIfAnyDied()
    {
        foreach (var silo in _silos)
        {
            if (silo.Process is { HasExited: true } p)
                throw new WaitAbortedException($"silo {silo.Name} (pid {p.Id}) exited on its own; its output ends:\n{Filtered(p, 60)}");
        }
    }

    /// <summary>A client for status calls only (kept apart from the data client, whose routing it would otherwise disturb).</summary>
    public DynamoClient Admin => _admin ??= new DynamoClient(new DynamoClientOptions
    {
        Seeds = { _silos[0].GrpcAddress },
        RingRefreshInterval = Timeout.InfiniteTimeSpan,
        MarkDownDuration = TimeSpan.Zero,
    });

    /// <summary>A data client seeded with every silo defined so far, ring fetched.</summary>
    public Task<DynamoClient> ConnectAsync() =>
        DynamoClient.ConnectAsync(new DynamoClientOptions { Seeds = _silos.Select(s => s.GrpcAddress).ToList() });

    public Task<ClusterStatus> StatusAsync(SiloProcess silo) => Admin.GetStatusAsync(silo.GrpcAddress);

    /// <summary>Waits until <paramref name="check"/> accepts <paramref name="observer"/>'s status (it returns null) or the deadline passes.</summary>
    public Task<TimeSpan> WaitForStatusAsync(SiloProcess observer, string what, Func<ClusterStatus, string?> check, TimeSpan? timeout = null) =>
        Eventually.UntilAsync($"{observer.Name}: {what}", timeout ?? StartTimeout, async () =>
        {
            ThrowIfAnyDied();
            return check(await StatusAsync(observer));
        });

    /// <summary>Waits until every silo in <paramref name="observers"/> sees exactly <paramref name="upSilos"/> up (and nobody else up).</summary>
    public async Task<TimeSpan> WaitForUpAsync(IEnumerable<SiloProcess> observers, IReadOnlyCollection<SiloProcess> upSilos, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var expected = upSilos.Select(s => s.Name).Order(StringComparer.Ordinal).ToArray();
        foreach (var observer in observers)
        {
            await WaitForStatusAsync(observer, $"sees [{string.Join(", ", expected)}] up", status =>
            {
                var up = status.Silos.Where(s => s.Status == ClusterSilo.StatusUp).Select(s => s.Name).Order(StringComparer.Ordinal).ToArray();
                return up.SequenceEqual(expected) ? null : $"up: [{string.Join(", ", up)}]; all: {Describe(status)}";
            }, timeout);
        }
        return clock.Elapsed;
    }

    public static string Describe(ClusterStatus status) =>
        string.Join(", ", status.Silos.Select(s => $"{s.Name}={s.Status}/{s.Partitions}p"));

    /// <summary>The silo's own <c>/api/cluster</c> JSON (the dashboard's view: partitions and replicas per silo).</summary>
    public async Task<JsonDocument> ClusterViewAsync(SiloProcess silo)
    {
        var body = await _http.GetStringAsync(silo.HttpAddress + "/api/cluster");
        return JsonDocument.Parse(body);
    }

    /// <summary>The last lines of every process of every silo (placement retry chatter left out).</summary>
    public string Tails(int lines = 60)
    {
        var text = new StringBuilder();
        foreach (var silo in _silos)
        {
            for (int i = 0; i < silo.Incarnations.Count; i++)
            {
                var p = silo.Incarnations[i];
                text.AppendLine($"===== {silo.Name}, process {i + 1} of {silo.Incarnations.Count} (pid {p.Id}, {(p.HasExited ? "exited" : "running")}) =====");
                text.AppendLine(Filtered(p, lines));
            }
        }
        return text.ToString();
    }

    private static string Filtered(ChildProcess process, int lines)
    {
        var kept = process.Output.Split('\n').Where(l => !l.Contains("Polly[", StringComparison.Ordinal)).ToArray();
        return string.Join('\n', kept.Skip(Math.Max(0, kept.Length - lines)));
    }

    /// <summary>
    /// Free loopback ports below the ephemeral range, never handed out twice in this test process: a killed silo
    /// restarts on its ports, and an ephemeral port could meanwhile be taken as some connection's local port.
    /// </summary>
    public static int[] StablePorts(int count)
    {
        var ports = new List<int>(count);
        lock (HandedOut)
        {
            int candidate = Random.Shared.Next(20_000, 32_000);
            for (int tries = 0; ports.Count < count && tries < 12_000; tries++, candidate = candidate >= 31_999 ? 20_000 : candidate + 1)
            {
                if (HandedOut.Contains(candidate) || !IsFree(candidate)) continue;
                HandedOut.Add(candidate);
                ports.Add(candidate);
            }
        }
        if (ports.Count < count) throw new InvalidOperationException($"found only {ports.Count} of {count} free ports in 20000-31999");
        return [.. ports];
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        _http.Dispose();
        foreach (var silo in _silos)
        {
            foreach (var p in silo.Incarnations) await p.DisposeAsync();
        }
        for (int attempt = 0; attempt < 3 && Directory.Exists(Root); attempt++)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException) when (attempt < 2)
            {
                await Task.Delay(200);
            }
            catch (IOException)
            {
                // Left for the OS's temp cleanup; the test's outcome does not depend on it.
            }
        }
    }

    /// <summary>Runs <paramref name="body"/>; when it fails, writes every silo's output tail to the test output first.</summary>
    public async Task RunAsync(ITestOutputHelper output, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            output.WriteLine(Tails());
            throw;
        }
    }
}
