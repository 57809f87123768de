namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// YCSB's zipfian key chooser (Gray et al., "Quickly Generating Billion-Record Synthetic Databases", SIGMOD 1994),
/// with YCSB's default constant 0.99: rank 0 is the most popular item. <see cref="NextScrambled"/> spreads the
/// popular ranks over the key space with an FNV-1a hash, as YCSB's ScrambledZipfianGenerator does, so the hot
/// keys do not all sit next to each other (and on one partition). Immutable after construction; thread-safe.
/// </summary>
public sealed class ZipfianGenerator
{
    /// <summary>YCSB's zipfian constant.</summary>
    public const double DefaultTheta = 0.99;

    private readonly long _items;
    private readonly double _theta;
    private readonly double _zetaN;
    private readonly double _alpha;
    private readonly double _eta;
    private readonly double _halfPowTheta;

    /// <summary>Prepares a generator over <paramref name="items"/> ranks (O(items) once, for zeta(n)).</summary>
    public ZipfianGenerator(long items, double theta = DefaultTheta)
    {
        if (items < 1) throw new ArgumentOutOfRangeException(nameof(items), items, "must be at least 1");
        if (theta is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(theta), theta, "must be between 0 and 1, exclusive");
        _items = items;
        _theta = theta;
        _zetaN = Zeta(items, theta);
        double zeta2 = Zeta(2, theta);
        _alpha = 1.0 / (1.0 - theta);
        _eta = (1 - Math.Pow(2.0 / items, 1 - theta)) / (1 - zeta2 / _zetaN);
        _halfPowTheta = 1 + Math.Pow(0.5, theta);
    }

    /// <summary>Number of items.</summary>
    public long Items => _items;

    /// <summary>A rank in [0, items): 0 is the most popular.</summary>
    public long NextRank(Random random)
    {
        double u = random.NextDouble();
        double uz = u * _zetaN;
        if (uz < 1.0) return 0;
        if (uz < _halfPowTheta) return Math.Min(1, _items - 1);
        long rank = (long)(_items * Math.Pow(_eta * u - _eta + 1, _alpha));
        return Math.Clamp(rank, 0, _items - 1);
    }

    /// <summary>An item in [0, items) whose popularity follows the zipfian ranks, spread by hashing.</summary>
    public long NextScrambled(Random random) => (long)(Fnv1a64((ulong)NextRank(random)) % (ulong)_items);

    private static double Zeta(long n, double theta)
    {
        double sum = 0;
        for (long i = 1; i <= n; i++) sum += 1.0 / Math.Pow(i, theta);
        return sum;
    }

    private static ulong Fnv1a64(ulong value)
    {
        const ulong Offset = 0xCBF29CE484222325;
        const ulong Prime = 0x100000001B3;
        ulong hash = Offset;
        for (int i = 0; i < 8; i++)
        {
            hash ^= value & 0xFF;
            hash *= Prime;
            value >>= 8;
        }
        return hash;
    }
}
