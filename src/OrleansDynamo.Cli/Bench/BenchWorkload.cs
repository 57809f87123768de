namespace OrleansDynamo.Cli.Bench;

/// <summary>A YCSB-style operation mix: the share of reads, the rest are updates (blind writes).</summary>
public sealed record BenchWorkload(string Name, double ReadProportion, string Description)
{
    /// <summary>YCSB A: 50 % read, 50 % update.</summary>
    public static readonly BenchWorkload A = new("a", 0.5, "50% get / 50% put (YCSB A)");
    /// <summary>YCSB B: 95 % read, 5 % update.</summary>
    public static readonly BenchWorkload B = new("b", 0.95, "95% get / 5% put (YCSB B)");
    /// <summary>YCSB C: read only.</summary>
    public static readonly BenchWorkload C = new("c", 1.0, "100% get (YCSB C)");
    /// <summary>Write only.</summary>
    public static readonly BenchWorkload W = new("w", 0.0, "100% put");

    /// <summary>The workloads by name: a, b, c, w.</summary>
    public static IReadOnlyList<BenchWorkload> All { get; } = [A, B, C, W];

    /// <summary>The workload named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static BenchWorkload? Find(string? name) =>
        All.FirstOrDefault(w => string.Equals(w.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>How keys are picked: every key alike, or YCSB's scrambled zipfian (a few keys hot).</summary>
public enum KeyDistribution
{
    Uniform = 0,
    Zipfian = 1,
}

/// <summary>Picks key indexes in [0, keys) for one distribution.</summary>
public sealed class KeyChooser
{
    private readonly long _keys;
    private readonly ZipfianGenerator? _zipfian;

    public KeyChooser(long keys, KeyDistribution distribution)
    {
        if (keys < 1) throw new ArgumentOutOfRangeException(nameof(keys), keys, "must be at least 1");
        _keys = keys;
        _zipfian = distribution == KeyDistribution.Zipfian ? new ZipfianGenerator(keys) : null;
    }

    /// <summary>The next key index.</summary>
    public long Next(Random random) => _zipfian is { } z ? z.NextScrambled(random) : random.NextInt64(_keys);
}
