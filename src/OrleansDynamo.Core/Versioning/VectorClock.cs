using System.Collections.Immutable;
using System.Text;

namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// An immutable vector clock (Dynamo §4.4): entries sorted by node id (ordinal), each with a
/// counter and the timestamp of its last increment, used for pruning the oldest entries.
/// </summary>
public sealed class VectorClock : IEquatable<VectorClock>
{
    public static readonly VectorClock Empty = new(ImmutableArray<ClockEntry>.Empty);

    /// <summary>Default size bound before pruning (the paper's threshold of 10).</summary>
    public const int DefaultMaxEntries = 10;

    /// <summary>
    /// The largest counter an entry (or a dot) may hold: 2^53. A counter grows by one per write that one actor
    /// coordinates on one key, so honest use never comes near it (a million writes a second to one key would
    /// take 285 years); it is exact as a double, so JSON tools and JavaScript clients that read a context see
    /// it unrounded; and it leaves room below <see cref="long.MaxValue"/>, so a counter at the maximum plus one
    /// never wraps. Every decoder refuses a counter above it, and no operation makes one: a step that would
    /// throws <see cref="VersionCounterOverflowException"/> before any version exists.
    /// </summary>
    public const long MaxCounter = 1L << 53;

    /// <summary>The longest node name, in UTF-8 bytes, that an entry may carry (the codec refuses longer ones).</summary>
    public const int MaxNodeNameBytes = 256;

    public ImmutableArray<ClockEntry> Entries { get; }

    private VectorClock(ImmutableArray<ClockEntry> sortedEntries) => Entries = sortedEntries;

    /// <summary>Builds a clock from entries in any order; duplicate nodes keep the larger counter.</summary>
    public static VectorClock From(IEnumerable<ClockEntry> entries)
    {
        var byNode = new SortedDictionary<string, ClockEntry>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Counter <= 0) continue;
            if (e.Counter > MaxCounter) throw new VersionCounterOverflowException(e.Node, e.Counter);
            CheckNode(e.Node);
            if (!byNode.TryGetValue(e.Node, out var existing) || Wins(e, existing)) byNode[e.Node] = e;
        }
        return byNode.Count == 0 ? Empty : new VectorClock(byNode.Values.ToImmutableArray());
    }

    /// <summary>Wraps entries already sorted by node and unique, with counters 1..<see cref="MaxCounter"/>; checked.</summary>
    internal static VectorClock FromSorted(ImmutableArray<ClockEntry> entries)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Counter is < 1 or > MaxCounter)
                throw new ArgumentException($"clock entry '{entries[i].Node}' has counter {entries[i].Counter}, outside 1..{MaxCounter}");
            if (i > 0 && string.CompareOrdinal(entries[i - 1].Node, entries[i].Node) >= 0)
                throw new ArgumentException("clock entries must be sorted by node and unique");
        }
        return entries.IsEmpty ? Empty : new VectorClock(entries);
    }

    /// <summary>A node name the codec can write and read back: not empty, at most <see cref="MaxNodeNameBytes"/> UTF-8 bytes.</summary>
    private static void CheckNode(string node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Length == 0) throw new ArgumentException("a clock entry's node name must not be empty", nameof(node));
        if (node.Length > MaxNodeNameBytes / 3 && Encoding.UTF8.GetByteCount(node) > MaxNodeNameBytes)
            throw new ArgumentException($"node name '{node[..32]}…' is longer than {MaxNodeNameBytes} UTF-8 bytes", nameof(node));
    }

    private static bool Wins(ClockEntry a, ClockEntry b) =>
        a.Counter > b.Counter || (a.Counter == b.Counter && a.TimestampMs > b.TimestampMs);

    public int Count => Entries.Length;

    public bool IsEmpty => Entries.IsEmpty;

    public long CounterOf(string node)
    {
        int i = IndexOf(node);
        return i < 0 ? 0 : Entries[i].Counter;
    }

    /// <summary>True when this clock has seen the event <paramref name="dot"/>.</summary>
    public bool Covers(Dot dot) => CounterOf(dot.Node) >= dot.Counter;

    private int IndexOf(string node)
    {
        int lo = 0, hi = Entries.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = string.CompareOrdinal(Entries[mid].Node, node);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    /// <summary>Advances <paramref name="node"/>'s counter by one, stamping it with <paramref name="nowMs"/>.</summary>
    /// <exception cref="VersionCounterOverflowException">The counter is already at <see cref="MaxCounter"/>.</exception>
    public VectorClock Increment(string node, long nowMs) => WithEntry(node, CounterOf(node) + 1, nowMs);

    /// <summary>Sets <paramref name="node"/>'s counter (never lowers it).</summary>
    /// <exception cref="VersionCounterOverflowException"><paramref name="counter"/> is above <see cref="MaxCounter"/>.</exception>
    public VectorClock WithEntry(string node, long counter, long nowMs)
    {
        if (counter <= 0) return this; // a zero entry means "absent": storing one breaks Equals and the codec
        if (counter > MaxCounter) throw new VersionCounterOverflowException(node, counter);
        int i = IndexOf(node);
        if (i >= 0)
        {
            if (Entries[i].Counter >= counter) return this;
            return new VectorClock(Entries.SetItem(i, new ClockEntry(node, counter, nowMs)));
        }
        CheckNode(node);
        int at = 0;
        while (at < Entries.Length && string.CompareOrdinal(Entries[at].Node, node) < 0) at++;
        return new VectorClock(Entries.Insert(at, new ClockEntry(node, counter, nowMs)));
    }

    /// <summary>The least upper bound: per node the larger counter (and that entry's timestamp).</summary>
    public VectorClock Merge(VectorClock other)
    {
        if (other.IsEmpty || ReferenceEquals(this, other)) return this;
        if (IsEmpty) return other;
        var result = ImmutableArray.CreateBuilder<ClockEntry>(Entries.Length + other.Entries.Length);
        int i = 0, j = 0;
        while (i < Entries.Length || j < other.Entries.Length)
        {
            if (j >= other.Entries.Length) { result.Add(Entries[i++]); continue; }
            if (i >= Entries.Length) { result.Add(other.Entries[j++]); continue; }
            var a = Entries[i];
            var b = other.Entries[j];
            int c = string.CompareOrdinal(a.Node, b.Node);
            if (c < 0) { result.Add(a); i++; }
            else if (c > 0) { result.Add(b); j++; }
            else { result.Add(Wins(b, a) ? b : a); i++; j++; }
        }
        return new VectorClock(result.ToImmutable());
    }

    /// <summary>Compares two clocks by counters alone (timestamps do not order events).</summary>
    public Causality Compare(VectorClock other)
    {
        bool thisGreater = false, otherGreater = false;
        int i = 0, j = 0;
        while (i < Entries.Length || j < other.Entries.Length)
        {
            long a, b;
            if (j >= other.Entries.Length) { a = Entries[i++].Counter; b = 0; }
            else if (i >= Entries.Length) { a = 0; b = other.Entries[j++].Counter; }
            else
            {
                int c = string.CompareOrdinal(Entries[i].Node, other.Entries[j].Node);
                if (c < 0) { a = Entries[i++].Counter; b = 0; }
                else if (c > 0) { a = 0; b = other.Entries[j++].Counter; }
                else { a = Entries[i++].Counter; b = other.Entries[j++].Counter; }
            }
            if (a > b) thisGreater = true;
            else if (b > a) otherGreater = true;
            if (thisGreater && otherGreater) return Causality.Concurrent;
        }
        if (thisGreater) return Causality.After;
        if (otherGreater) return Causality.Before;
        return Causality.Equal;
    }

    /// <summary>True when every counter here is ≤ the other's (this happened before or equals).</summary>
    public bool Descends(VectorClock other) => Compare(other) is Causality.After or Causality.Equal;

    /// <summary>
    /// Drops the oldest entries by timestamp until at most <paramref name="maxEntries"/> remain (Dynamo §4.4),
    /// never dropping a node in <paramref name="keep"/> (the dots of live siblings, whose loss would
    /// make a superseded sibling look concurrent again).
    /// </summary>
    public VectorClock Prune(int maxEntries, IReadOnlySet<string>? keep = null)
    {
        if (maxEntries < 1) throw new ArgumentOutOfRangeException(nameof(maxEntries), "a clock keeps at least one entry");
        if (Entries.Length <= maxEntries) return this;
        var removable = Entries.Where(e => keep is null || !keep.Contains(e.Node))
            .OrderBy(e => e.TimestampMs).ThenBy(e => e.Node, StringComparer.Ordinal)
            .Take(Entries.Length - maxEntries)
            .Select(e => e.Node)
            .ToHashSet(StringComparer.Ordinal);
        if (removable.Count == 0) return this;
        return new VectorClock(Entries.Where(e => !removable.Contains(e.Node)).ToImmutableArray());
    }

    public bool Equals(VectorClock? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        return Entries.AsSpan().SequenceEqual(other.Entries.AsSpan());
    }

    public override bool Equals(object? obj) => Equals(obj as VectorClock);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var e in Entries) h.Add(e);
        return h.ToHashCode();
    }

    public override string ToString() => "{" + string.Join(",", Entries.Select(e => $"{e.Node}:{e.Counter}")) + "}";
}
