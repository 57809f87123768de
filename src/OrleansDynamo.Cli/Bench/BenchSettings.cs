using System.Globalization;

namespace OrleansDynamo.Cli.Bench;

/// <summary>What the load generator talks to.</summary>
public enum BenchTargetKind
{
    /// <summary>An OrleansDynamo cluster, through the client SDK.</summary>
    Dynamo = 0,
    /// <summary>An etcd v3 cluster, through etcd's gRPC KV API (Put and Range) with the generated client.</summary>
    Etcd = 1,
    /// <summary>A Redis primary with replicas, each put acknowledged by <see cref="BenchSettings.RedisReplicas"/> of them (WAIT).</summary>
    Redis = 2,
}

/// <summary>Who coordinates Dynamo requests during the run (Dynamo §6.4).</summary>
public enum BenchCoordination
{
    /// <summary>The SDK routes each request to the key's preference list.</summary>
    Client = 0,
    /// <summary>Each request goes to a random silo, which forwards it.</summary>
    Server = 1,
    /// <summary>Half the workers use each mode, in the same run; figures are reported per mode.</summary>
    Both = 2,
    /// <summary>As <see cref="Client"/>, but the SDK coordinates each get itself, asking the replicas directly.</summary>
    ClientReads = 3,
}

/// <summary>The settings of one <c>dynamo bench</c> run, with documented defaults.</summary>
public sealed class BenchSettings
{
    /// <summary>What to load. Default <see cref="BenchTargetKind.Dynamo"/>.</summary>
    public BenchTargetKind Target { get; set; } = BenchTargetKind.Dynamo;

    /// <summary>Redis: replicas that must acknowledge each put (<c>WAIT n</c>); 0 sends no WAIT. Default 1.</summary>
    public int RedisReplicas { get; set; } = 1;

    /// <summary>Addresses of the target's members (silo gRPC addresses, etcd client URLs, or a Redis primary's redis:// URL). At least one.</summary>
    public IReadOnlyList<string> Endpoints { get; set; } = [];

    /// <summary>How long operations are measured, after preload and warm-up. Default 20 s.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Load run before measuring starts (JIT, connections, caches), not counted. Default 1 s.</summary>
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Length of a slice of the measured window (0: none). With slices the report also gives ops/s, errors and latency
    /// of each consecutive slice, for runs during which the cluster changes (bench/topology.sh).
    /// </summary>
    public TimeSpan Slice { get; set; } = TimeSpan.Zero;

    /// <summary>Operations in flight at any time (closed loop: each worker waits for its answer). Default 64.</summary>
    public int Concurrency { get; set; } = 64;

    /// <summary>Size of the key space. Default 100,000.</summary>
    public long Keys { get; set; } = 100_000;

    /// <summary>Bytes per value written. Default 1,024.</summary>
    public int ValueSize { get; set; } = 1024;

    /// <summary>The operation mix. Default YCSB A.</summary>
    public BenchWorkload Workload { get; set; } = BenchWorkload.A;

    /// <summary>How keys are chosen. Default uniform.</summary>
    public KeyDistribution Distribution { get; set; } = KeyDistribution.Uniform;

    /// <summary>Write every key once before measuring. Default false.</summary>
    public bool Preload { get; set; }

    /// <summary>
    /// Dynamo: a put of a key this run has neither read nor written reads the key first and writes with its context
    /// (the read is timed with the put). For keys an earlier process wrote (a preload run apart, a run before a
    /// restart): without it the first put of each such key adds a sibling beside the stored version, so each run leaves
    /// more versions than the last. Off by default: for keys that are new (a fresh --key-prefix) the read finds nothing.
    /// </summary>
    public bool ReadUnseen { get; set; }

    /// <summary>Per-request read quorum; null keeps the bucket's R. Dynamo only.</summary>
    public uint? R { get; set; }

    /// <summary>Per-request write quorum; null keeps the bucket's W. Dynamo only.</summary>
    public uint? W { get; set; }

    /// <summary>Who coordinates Dynamo requests. Default client-driven.</summary>
    public BenchCoordination Coordination { get; set; } = BenchCoordination.Client;

    /// <summary>A coordination mode as <c>--coordination</c> and the report spell it: lower case, words joined by dashes.</summary>
    public static string CoordinationName(BenchCoordination mode) =>
        string.Concat(mode.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>The Dynamo bucket loaded. Default <c>default</c>.</summary>
    public string Bucket { get; set; } = "default";

    /// <summary>Keys are this prefix plus a 10-digit index. Default <c>user</c> (as in YCSB).</summary>
    public string KeyPrefix { get; set; } = "user";

    /// <summary>etcd only: serve gets as serializable (member-local) reads instead of etcd's default linearizable ones.</summary>
    public bool EtcdSerializable { get; set; }

    /// <summary>For a TLS cluster (dynamo target): the client certificate and the cluster's authority (--cert, --key, --ca).</summary>
    public (System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate, System.Security.Cryptography.X509Certificates.X509Certificate2? Authority) Tls { get; set; }

    /// <summary>For a cluster with API keys (dynamo target): the key every call carries (--api-key).</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long one operation may take before it counts as a timeout error. Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Seed of the key and operation choices (each worker derives its own). Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The key of index <paramref name="index"/>.</summary>
    public string KeyOf(long index) => KeyPrefix + index.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting (as its command-line option).</summary>
    public void Validate()
    {
        if (Endpoints is null || Endpoints.Count == 0) throw new ArgumentException("--endpoint: give at least one address");
        foreach (var endpoint in Endpoints)
        {
            if (Target == BenchTargetKind.Redis)
            {
                if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var redis) || redis.Scheme != "redis" || redis.Host.Length == 0)
                    throw new ArgumentException($"--endpoint: '{endpoint}' is not a redis:// address such as redis://127.0.0.1:6379");
                continue;
            }
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"--endpoint: '{endpoint}' is not an http:// or https:// address");
        }
        if (Duration <= TimeSpan.Zero) throw new ArgumentException($"--seconds: must be positive, got {Duration.TotalSeconds}");
        if (Warmup < TimeSpan.Zero) throw new ArgumentException($"--warmup: must not be negative, got {Warmup.TotalSeconds}");
        if (Slice < TimeSpan.Zero || (Slice > TimeSpan.Zero && Duration / Slice > 1_000_000))
            throw new ArgumentException($"--slice-seconds: must be 0 (no slices) or at least a millionth of --seconds, got {Slice.TotalSeconds}");
        if (Concurrency is < 1 or > 10_000) throw new ArgumentException($"--concurrency: must be 1..10000, got {Concurrency}");
        if (Keys is < 1 or > 10_000_000_000) throw new ArgumentException($"--keys: must be 1..10000000000, got {Keys}");
        if (ValueSize is < 0 or > 1024 * 1024) throw new ArgumentException($"--value-size: must be 0..1048576 bytes, got {ValueSize}");
        if (Workload is null) throw new ArgumentException("--workload: must be a, b, c or w");
        if (!Enum.IsDefined(Distribution)) throw new ArgumentException($"--distribution: unknown value {(int)Distribution}");
        if (!Enum.IsDefined(Coordination)) throw new ArgumentException($"--coordination: unknown value {(int)Coordination}");
        if (!Enum.IsDefined(Target)) throw new ArgumentException($"--target: unknown value {(int)Target}");
        if (R == 0) throw new ArgumentException("--r: must be at least 1");
        if (W == 0) throw new ArgumentException("--w: must be at least 1");
        if (string.IsNullOrEmpty(Bucket)) throw new ArgumentException("--bucket: must not be empty");
        if (KeyPrefix is null || KeyPrefix.Length > 1000) throw new ArgumentException("--key-prefix: must be at most 1000 characters");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"--timeout-ms: must be positive, got {RequestTimeout.TotalMilliseconds}");
        if (Target != BenchTargetKind.Dynamo && (R is not null || W is not null))
            throw new ArgumentException("--r/--w: apply to --target dynamo only");
        if (Target != BenchTargetKind.Dynamo && ReadUnseen)
            throw new ArgumentException("--read-unseen: applies to --target dynamo only");
        if (Target != BenchTargetKind.Dynamo && Coordination != BenchCoordination.Client)
            throw new ArgumentException("--coordination: applies to --target dynamo only");
        if (RedisReplicas is < 0 or > 16) throw new ArgumentException($"--redis-wait: must be 0..16, got {RedisReplicas}");
        if (Target == BenchTargetKind.Redis && Concurrency > 1000)
            throw new ArgumentException($"--concurrency: --target redis opens a connection per worker, at most 1000, got {Concurrency}");
    }
}
