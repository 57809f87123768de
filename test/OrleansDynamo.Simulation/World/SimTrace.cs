namespace OrleansDynamo.Simulation.World;

/// <summary>
/// What happened in one run: a running 64-bit hash over every event (messages included; two runs of
/// one seed must end with the same hash) and a ring buffer of the last notable events (nemesis
/// actions, client operations) printed when a seed fails.
/// </summary>
public sealed class SimTrace(SimulatedTime time, int capacity = 400)
{
    private const ulong Prime = 1099511628211UL;
    private readonly Queue<string> _recent = new();
    private readonly List<string> _faults = [];
    private ulong _hash = 14695981039346656037UL;

    public ulong Hash => _hash;

    public long Events { get; private set; }

    /// <summary>Folds an event into the hash only (cheap; for every message).</summary>
    public void Mix(string a, string b, string c, long n)
    {
        Events++;
        MixLong(time.GetTimestamp());
        MixString(a);
        MixString(b);
        MixString(c);
        MixLong(n);
    }

    /// <summary>Hashes the event and keeps it in the ring buffer.</summary>
    public void Note(string text)
    {
        Events++;
        MixLong(time.GetTimestamp());
        MixString(text);
        if (_recent.Count == capacity) _recent.Dequeue();
        _recent.Enqueue($"[{time.Elapsed.TotalSeconds,9:0.000}s] {text}");
    }

    public IReadOnlyList<string> Recent => _recent.ToList();

    /// <summary>Every fault and silo start of the run (few; kept whole, unlike <see cref="Recent"/>).</summary>
    public IReadOnlyList<string> Faults => _faults;

    /// <summary>Notes a nemesis action or a silo start/crash: kept for the whole run.</summary>
    public void Fault(string text)
    {
        Note(text);
        _faults.Add($"[{time.Elapsed.TotalSeconds,9:0.000}s] {text}");
    }

    /// <summary>The recent events that mention any of <paramref name="terms"/> (or all of them when none given), last <paramref name="max"/>.</summary>
    public IEnumerable<string> Tail(int max, params string[] terms)
    {
        var lines = terms.Length == 0 ? _recent : _recent.Where(l => terms.Any(t => l.Contains(t, StringComparison.Ordinal)));
        return lines.TakeLast(max);
    }

    public void MixString(string s)
    {
        foreach (char ch in s)
        {
            _hash ^= ch;
            _hash *= Prime;
        }
        _hash ^= 0xff;
        _hash *= Prime;
    }

    public void MixLong(long v)
    {
        for (int i = 0; i < 8; i++)
        {
            _hash ^= (byte)(v >> (8 * i));
            _hash *= Prime;
        }
    }
}
