using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Silo.Limits;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// A silo's settings, bound from the "Silo" section of the configuration (a --config JSON file,
/// environment variables like Silo__GrpcPort, command-line overrides like --Silo:GrpcPort=11112).
/// </summary>
public sealed class SiloOptions
{
    public const string Section = "Silo";

    /// <summary>Silos only talk to silos of the same cluster name (and secret).</summary>
    public string ClusterName { get; set; } = "dev";

    /// <summary>Optional shared secret; a silo whose secret differs is not let in.</summary>
    public string? ClusterSecret { get; set; }

    /// <summary>Unique name of this silo in the cluster; default the machine name and gRPC port.</summary>
    public string? SiloName { get; set; }

    public string? Zone { get; set; }

    /// <summary>Relative capacity: a silo of weight 2 gets twice the partitions.</summary>
    public double Weight { get; set; } = 1.0;

    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// sqlite (default), log (values in append-only files with an in-memory key directory, Bitcask-like; see
    /// docs/storage.md) or memory (no disk).
    /// </summary>
    public string StorageEngine { get; set; } = StorageOptions.SqliteEngine;

    public DurabilityMode Durability { get; set; } = DurabilityMode.Full;

    /// <summary>Address to bind and to advertise (loopback by default).</summary>
    public string Host { get; set; } = "127.0.0.1";

    public int GrpcPort { get; set; } = 11111;

    /// <summary>Orleans silo-to-silo port (grain calls between silos, membership probes).</summary>
    public int SiloPort { get; set; } = 11211;

    /// <summary>Orleans gateway port (Orleans clients connect here).</summary>
    public int GatewayPort { get; set; } = 11311;

    /// <summary>Where Orleans keeps membership and reminders (localhost, sqlite or redis) and how fast it declares a silo dead.</summary>
    public Clustering.ClusteringOptions Clustering { get; set; } = new();

    /// <summary>Port of the dashboard and JSON API; 0 turns them off.</summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>Partitions on the ring (a power of two, fixed when the cluster is created).</summary>
    public int PartitionCount { get; set; } = 1024;

    /// <summary>A fresh silo (no membership on disk) joins at start; false waits for `dynamo join`.</summary>
    public bool AutoJoin { get; set; } = true;

    public BucketOptions DefaultBucket { get; set; } = new();

    /// <summary>How long a coordinator waits for its quorum.</summary>
    public int RequestTimeoutMs { get; set; } = 2000;

    /// <summary>How long a silo-to-silo call may take.</summary>
    public int ReplicaTimeoutMs { get; set; } = 2000;

    /// <summary>
    /// While fewer gets than this are in flight on this silo as coordinator, a get asks all N replicas and takes the
    /// first R; from this many on (and with every primary reachable) it asks R of them, itself first, and the others
    /// only when one fails or when none has decided the get after <see cref="ReadSpeculationDelayMs"/>. 0 always asks
    /// R; a large value always asks N. Default 2.
    /// </summary>
    public int AllReplicaReadsBelow { get; set; } = 2;

    /// <summary>
    /// For a get that asked R replicas: how long it waits before asking the rest (speculative retry). 0 (the default):
    /// the p99 of this silo's last 512 coordinated gets, every replica asked until 128 are measured; -1: never, the rest
    /// are asked only when a replica fails.
    /// </summary>
    public int ReadSpeculationDelayMs { get; set; }

    /// <summary>A partition grain idle this long is deactivated.</summary>
    public int GrainIdleTimeoutMs { get; set; } = 60_000;

    /// <summary>
    /// Period of the Orleans reminder that keeps each silo's background work running across restarts (its loops run
    /// on grain timers at their own intervals). Default one minute, Orleans' minimum reminder period; a smaller value
    /// lowers that minimum too (tests).
    /// </summary>
    public int BackgroundReminderPeriodMs { get; set; } = 60_000;

    /// <summary>How often a silo gossips with one random peer.</summary>
    public int GossipIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Context entries kept before the oldest are pruned (Dynamo §4.4; the core's own default is the paper's 10).
    /// Default 50, as Riak's big_vclock: a silo that forgets data signs under a new dot epoch (Grains/DotEpoch),
    /// which adds actors, and pruning an entry that still covers an overwritten sibling brings that sibling
    /// back. The simulation measured 33 of 1,000 seeds failing with 10 and 0 of 1,000 with 50.
    /// </summary>
    public int MaxClockEntries { get; set; } = 50;

    /// <summary>
    /// Buckets the cluster may hold, the default one included (at most <see cref="BucketSettings.MaxBuckets"/>): this silo
    /// refuses to create one more. Each bucket is one event in every silo's membership history; redefinitions replace it.
    /// </summary>
    public int MaxBuckets { get; set; } = BucketSettings.MaxBuckets;

    /// <summary>Hinted handoff: delivery interval, backoff, maximum hint age and backlog per target.</summary>
    public Hints.HintOptions Hints { get; set; } = new();

    /// <summary>Admission control of background work by foreground p99 (Dynamo §6.5).</summary>
    public Admission.AdmissionOptions Admission { get; set; } = new();

    /// <summary>Anti-entropy: Merkle tree exchange schedule, tree builds, tombstone GC.</summary>
    public AntiEntropy.AntiEntropyOptions AntiEntropy { get; set; } = new();

    /// <summary>Phi accrual failure detection: threshold, window, deviation floor, acceptable pause.</summary>
    public Membership.FailureDetectionOptions FailureDetection { get; set; } = new();

    /// <summary>Ownership transfer after a join or leave: interval, page size, keys per second.</summary>
    public Transfer.TransferOptions Transfer { get; set; } = new();

    /// <summary>Dashboard, JSON API and metrics: stats window, load-balance threshold, refresh intervals.</summary>
    public Dashboard.DashboardOptions Dashboard { get; set; } = new();

    /// <summary>OpenTelemetry metrics: per-partition series, an OTLP exporter.</summary>
    public Diagnostics.MetricsOptions Metrics { get; set; } = new();

    /// <summary>Mutual TLS on every listener (<see cref="Security.TlsOptions"/>); off by default, and then only loopback is allowed.</summary>
    public Security.TlsOptions Tls { get; set; } = new();

    /// <summary>API keys and their roles (<see cref="Security.AuthOptions"/>); none by default, and then every caller is served.</summary>
    public Security.AuthOptions Auth { get; set; } = new();

    /// <summary>Bounded work per caller (<see cref="LimitsOptions"/>): request sizes, deadlines, stalled connections, dashboard fan-out.</summary>
    public LimitsOptions Limits { get; set; } = new();

    /// <summary>Planted bugs for the fault tier (<see cref="FaultInjection.FaultInjectionOptions"/>); none by default.</summary>
    public FaultInjection.FaultInjectionOptions FaultInjection { get; set; } = new();

    /// <summary>How long a client API call or HTTP request may run on this silo (<see cref="LimitsOptions.RequestDeadlineMs"/>).</summary>
    public TimeSpan RequestDeadline => Limits.RequestDeadline(RequestTimeoutMs, ReplicaTimeoutMs, AntiEntropy.RepairWaitMs);

    private string Scheme => Tls.Enabled ? "https" : "http";

    public string AdvertisedGrpcAddress => $"{Scheme}://{Host}:{GrpcPort}";

    public string? AdvertisedHttpAddress => HttpPort > 0 ? $"{Scheme}://{Host}:{HttpPort}" : null;

    /// <summary>The Orleans gateway clients connect to (host:port), recorded in the ring with the silo.</summary>
    public string? AdvertisedGatewayAddress => GatewayPort > 0 ? $"{Host}:{GatewayPort}" : null;

    public string EffectiveSiloName => string.IsNullOrWhiteSpace(SiloName) ? $"{Environment.MachineName.ToLowerInvariant()}-{GrpcPort}" : SiloName!;

    /// <summary>
    /// <see cref="Validate"/>, and what a silo process that listens on the network also needs: an IP address (or
    /// localhost) to bind, and TLS unless that address is loopback or plaintext is allowed explicitly.
    /// (The simulation's silos listen nowhere: they are checked by <see cref="Validate"/> alone.)
    /// </summary>
    public IReadOnlyList<string> ValidateForListening()
    {
        var errors = new List<string>(Validate());
        if (Host != "localhost" && !System.Net.IPAddress.TryParse(Host, out _))
            errors.Add($"Silo:Host '{Host}' is not an IP address (or localhost): a silo listens on one address of this machine");
        else errors.AddRange(Tls.Validate(Host));
        return errors;
    }

    /// <summary>Every problem with the settings, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ClusterName)) errors.Add("Silo:ClusterName must not be empty");
        if (SiloName is not null && (SiloName.Length == 0 || SiloName.Length > 128 || SiloName.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            errors.Add($"Silo:SiloName '{SiloName}' must be 1-128 characters without spaces");
        if (!(Weight > 0 && Weight <= 1000)) errors.Add($"Silo:Weight must be in (0, 1000], got {Weight}");
        if (string.IsNullOrWhiteSpace(DataDirectory)) errors.Add("Silo:DataDirectory must not be empty");
        if (StorageEngine is not (StorageOptions.SqliteEngine or StorageOptions.LogEngine or StorageOptions.MemoryEngine))
            errors.Add($"Silo:StorageEngine must be '{StorageOptions.SqliteEngine}', '{StorageOptions.LogEngine}' or '{StorageOptions.MemoryEngine}', got '{StorageEngine}'");
        if (!Enum.IsDefined(Durability)) errors.Add($"Silo:Durability must be Full or Normal, got '{Durability}'");
        if (GrpcPort is < 0 or > 65535) errors.Add($"Silo:GrpcPort must be 0-65535, got {GrpcPort}");
        if (HttpPort is < 0 or > 65535) errors.Add($"Silo:HttpPort must be 0-65535, got {HttpPort}");
        if (SiloPort is < 1 or > 65535) errors.Add($"Silo:SiloPort must be 1-65535, got {SiloPort}");
        if (GatewayPort is < 1 or > 65535) errors.Add($"Silo:GatewayPort must be 1-65535, got {GatewayPort}");
        var ports = new[] { ("GrpcPort", GrpcPort), ("HttpPort", HttpPort), ("SiloPort", SiloPort), ("GatewayPort", GatewayPort) }.Where(p => p.Item2 != 0).ToList();
        foreach (var clash in ports.GroupBy(p => p.Item2).Where(g => g.Count() > 1))
            errors.Add($"Silo:{string.Join(", Silo:", clash.Select(p => p.Item1))} must differ (all are {clash.Key})");
        if (PartitionCount < 1 || PartitionCount > 65536 || (PartitionCount & (PartitionCount - 1)) != 0)
            errors.Add($"Silo:PartitionCount must be a power of two between 1 and 65536, got {PartitionCount}");
        if (RequestTimeoutMs < 1) errors.Add($"Silo:RequestTimeoutMs must be positive, got {RequestTimeoutMs}");
        if (ReplicaTimeoutMs < 1) errors.Add($"Silo:ReplicaTimeoutMs must be positive, got {ReplicaTimeoutMs}");
        if (AllReplicaReadsBelow < 0) errors.Add($"Silo:AllReplicaReadsBelow must not be negative, got {AllReplicaReadsBelow}");
        if (ReadSpeculationDelayMs < -1) errors.Add($"Silo:ReadSpeculationDelayMs must be -1 (never), 0 (the p99 of recent gets) or a delay in ms, got {ReadSpeculationDelayMs}");
        if (GrainIdleTimeoutMs < 1) errors.Add($"Silo:GrainIdleTimeoutMs must be positive, got {GrainIdleTimeoutMs}");
        if (BackgroundReminderPeriodMs < 1000) errors.Add($"Silo:BackgroundReminderPeriodMs must be at least 1000, got {BackgroundReminderPeriodMs}");
        if (GossipIntervalMs < 10) errors.Add($"Silo:GossipIntervalMs must be at least 10, got {GossipIntervalMs}");
        if (MaxClockEntries < 1) errors.Add($"Silo:MaxClockEntries must be positive, got {MaxClockEntries}");
        if (MaxBuckets is < 1 or > BucketSettings.MaxBuckets) errors.Add($"Silo:MaxBuckets must be 1-{BucketSettings.MaxBuckets}, got {MaxBuckets}");
        errors.AddRange(Clustering.Validate());
        errors.AddRange(Hints.Validate());
        errors.AddRange(Admission.Validate());
        errors.AddRange(AntiEntropy.Validate());
        errors.AddRange(FailureDetection.Validate());
        errors.AddRange(Transfer.Validate());
        errors.AddRange(Dashboard.Validate());
        errors.AddRange(Metrics.Validate());
        errors.AddRange(Auth.Validate());
        errors.AddRange(Limits.Validate());
        errors.AddRange(FaultInjection.Validate());
        if (Limits.RequestDeadlineMs > 0 && (long)Limits.RequestDeadlineMs < Math.Max((long)RequestTimeoutMs + ReplicaTimeoutMs, AntiEntropy.RepairWaitMs))
            errors.Add($"{LimitsOptions.Section}:RequestDeadlineMs must be at least Silo:RequestTimeoutMs + Silo:ReplicaTimeoutMs ({(long)RequestTimeoutMs + ReplicaTimeoutMs}, a forwarded request) " +
                $"and Silo:AntiEntropy:RepairWaitMs ({AntiEntropy.RepairWaitMs}), got {Limits.RequestDeadlineMs}");
        if (DefaultBucket.MaxValueBytes > Limits.MaxValueBytes && Limits.MaxValueBytes > 0)
            errors.Add($"Silo:DefaultBucket:MaxValueBytes ({DefaultBucket.MaxValueBytes}) must not be above {LimitsOptions.Section}:MaxValueBytes ({Limits.MaxValueBytes})");
        if (DefaultBucket.ToSettings(BucketSettings.DefaultName) is var b && b.Validate() is { } bad)
            errors.Add("Silo:DefaultBucket: " + bad);
        if (BucketSettings.ParsePolicy(DefaultBucket.Policy) is null)
            errors.Add($"Silo:DefaultBucket:Policy must be 'siblings' or 'last-write-wins', got '{DefaultBucket.Policy}'");
        return errors;
    }
}

/// <summary>Bucket settings as they appear in configuration.</summary>
public sealed class BucketOptions
{
    public int N { get; set; } = 3;
    public int R { get; set; } = 2;
    public int W { get; set; } = 2;
    public int PR { get; set; }
    public int PW { get; set; }
    public string Policy { get; set; } = "siblings";
    public int MaxValueBytes { get; set; } = BucketSettings.DefaultMaxValueBytes;

    public BucketSettings ToSettings(string name) =>
        new(name, N, R, W, BucketSettings.ParsePolicy(Policy) ?? Core.Coordination.ConflictPolicy.Siblings, MaxValueBytes, PR, PW);
}
