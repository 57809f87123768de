namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// The silo's one source of jitter and random peer choice, safe to share between threads: every draw takes a lock on
/// the seeded generator it wraps (a plain <see cref="Random"/> used by two threads at once can break for good and
/// return 0 ever after). Single-threaded, it draws exactly what the wrapped generator would, so the simulation's seeded
/// runs are unchanged.
/// </summary>
public sealed class LockedRandom(Random seeded) : Random
{
    private readonly Lock _lock = new();

    public override int Next()
    {
        lock (_lock) return seeded.Next();
    }

    public override int Next(int maxValue)
    {
        lock (_lock) return seeded.Next(maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        lock (_lock) return seeded.Next(minValue, maxValue);
    }

    public override long NextInt64()
    {
        lock (_lock) return seeded.NextInt64();
    }

    public override long NextInt64(long maxValue)
    {
        lock (_lock) return seeded.NextInt64(maxValue);
    }

    public override long NextInt64(long minValue, long maxValue)
    {
        lock (_lock) return seeded.NextInt64(minValue, maxValue);
    }

    public override double NextDouble()
    {
        lock (_lock) return seeded.NextDouble();
    }

    public override float NextSingle()
    {
        lock (_lock) return seeded.NextSingle();
    }

    public override void NextBytes(byte[] buffer)
    {
        lock (_lock) seeded.NextBytes(buffer);
    }

    public override void NextBytes(Span<byte> buffer)
    {
        lock (_lock) seeded.NextBytes(buffer);
    }

    protected override double Sample()
    {
        lock (_lock) return seeded.NextDouble();
    }
}
