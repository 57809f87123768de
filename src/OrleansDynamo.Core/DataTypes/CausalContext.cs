using System.Collections.Immutable;
using System.Runtime.InteropServices;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// The causal context of a data type's state: every event (<see cref="Dot"/>) the state has seen, whether its effect
/// is still there or was later removed. Kept compact, as in Almeida, Shoker and Baquero's delta-state CRDTs: a version
/// vector (<see cref="Vector"/>: per actor the counter n such that dots 1..n were all seen) plus a dot cloud
/// (<see cref="Cloud"/>: seen dots past a gap). A dot that closes a gap is folded into the vector at once, so the form
/// is canonical (one dot set, one representation) and its size is the number of actors plus the dots still past a gap,
/// never the number of operations. States exchanged whole never leave a gap; only deltas delivered out of order do.
/// </summary>
public sealed class CausalContext : IEquatable<CausalContext>, IComparable<CausalContext>
{
    public static readonly CausalContext Empty = new(ImmutableArray<Dot>.Empty, ImmutableArray<Dot>.Empty);

    /// <summary>Per actor (ordinal order) the counter up to which every dot was seen; counters ≥ 1.</summary>
    public ImmutableArray<Dot> Vector { get; }

    /// <summary>Seen dots past a gap, by actor then counter: each above its actor's vector counter + 1.</summary>
    public ImmutableArray<Dot> Cloud { get; }

    private CausalContext(ImmutableArray<Dot> vector, ImmutableArray<Dot> cloud)
    {
        Vector = vector;
        Cloud = cloud;
    }

    public bool IsEmpty => Vector.IsEmpty && Cloud.IsEmpty;

    /// <summary>Entries held: vector entries plus cloud dots.</summary>
    public int Count => Vector.Length + Cloud.Length;

    /// <summary>The actors named, in ordinal order.</summary>
    public IEnumerable<string> Actors => Vector.Select(d => d.Node).Concat(Cloud.Select(d => d.Node)).Distinct().Order(StringComparer.Ordinal);

    /// <summary>The context of exactly <paramref name="dots"/> (any order, duplicates allowed), compacted.</summary>
    /// <exception cref="DataTypeOperationException">A dot's counter is outside 1..2^53 or its actor name is not valid.</exception>
    public static CausalContext From(IEnumerable<Dot> dots) => Normalize(ImmutableArray<Dot>.Empty, dots);

    /// <summary>The context of every dot up to each entry's counter (a plain version vector).</summary>
    public static CausalContext FromVector(IEnumerable<Dot> vector) => Normalize(vector, []);

    /// <summary>Wraps a vector and cloud already in canonical form; checked (the codec's entry point).</summary>
    internal static CausalContext FromCanonical(ImmutableArray<Dot> vector, ImmutableArray<Dot> cloud)
    {
        for (int i = 0; i < vector.Length; i++)
        {
            CheckCounter(vector[i]);
            if (i > 0 && string.CompareOrdinal(vector[i - 1].Node, vector[i].Node) >= 0)
                throw new ArgumentException("context vector entries must be sorted by actor and unique");
        }
        for (int i = 0; i < cloud.Length; i++)
        {
            CheckCounter(cloud[i]);
            if (i > 0 && Dots.Compare(cloud[i - 1], cloud[i]) >= 0)
                throw new ArgumentException("context cloud dots must be sorted and unique");
        }
        var ctx = new CausalContext(vector, cloud);
        foreach (var d in cloud)
        {
            long v = ctx.VectorCounterOf(d.Node);
            if (d.Counter <= v + 1) throw new ArgumentException($"context cloud dot {d} is not past a gap (vector counter {v})");
        }
        return ctx;
    }

    private static void CheckCounter(Dot d)
    {
        if (d.Counter is < 1 or > VectorClock.MaxCounter)
            throw new ArgumentException($"context dot {d} has a counter outside 1..{VectorClock.MaxCounter}");
    }

    /// <summary>Builds the canonical form of the dots 1..n for each vector entry plus the given dots.</summary>
    private static CausalContext Normalize(IEnumerable<Dot> vector, IEnumerable<Dot> dots)
    {
        var vec = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var v in vector)
        {
            Check(v);
            if (!vec.TryGetValue(v.Node, out long have) || v.Counter > have) vec[v.Node] = v.Counter;
        }
        var loose = new List<Dot>();
        foreach (var d in dots)
        {
            Check(d);
            loose.Add(d);
        }
        if (loose.Count > 1) loose.Sort(Dots.Comparer);
        var cloud = new List<Dot>();
        int i = 0;
        while (i < loose.Count)
        {
            string actor = loose[i].Node;
            long n = vec.GetValueOrDefault(actor);
            for (; i < loose.Count && loose[i].Node == actor; i++)
            {
                long c = loose[i].Counter;
                if (c <= n) continue;
                if (c == n + 1) n = c;
                else if (cloud.Count == 0 || cloud[^1] != loose[i]) cloud.Add(loose[i]);
            }
            if (n > 0) vec[actor] = n;
        }
        if (vec.Count == 0 && cloud.Count == 0) return Empty;
        return new CausalContext(vec.Select(e => new Dot(e.Key, e.Value)).ToImmutableArray(), cloud.ToImmutableArray());

        static void Check(Dot d)
        {
            if (d.Counter is < 1 or > VectorClock.MaxCounter)
                throw new DataTypeOperationException($"dot {d} has a counter outside 1..{VectorClock.MaxCounter}");
            DataTypeLimits.CheckActor(d.Node);
        }
    }

    /// <summary>The counter up to which every dot of <paramref name="actor"/> was seen (0 when none).</summary>
    public long VectorCounterOf(string actor)
    {
        int i = IndexOf(Vector.AsSpan(), actor);
        return i < 0 ? 0 : Vector[i].Counter;
    }

    /// <summary>True when this context has seen <paramref name="dot"/>.</summary>
    public bool Contains(Dot dot)
    {
        if (VectorCounterOf(dot.Node) >= dot.Counter) return true;
        return !Cloud.IsEmpty && Cloud.AsSpan().BinarySearch(dot, Dots.Comparer) >= 0;
    }

    /// <summary>The highest counter of <paramref name="actor"/> seen, in the vector or the cloud.</summary>
    public long MaxCounterOf(string actor)
    {
        long max = VectorCounterOf(actor);
        foreach (var d in Cloud)
        {
            if (d.Node == actor && d.Counter > max) max = d.Counter;
        }
        return max;
    }

    /// <summary>
    /// The dot of <paramref name="actor"/>'s next event: one past every dot of it seen. An actor makes dots only from a
    /// state that holds all its earlier ones (its own replica, in the key's turn), so the dot is new.
    /// </summary>
    /// <exception cref="VersionCounterOverflowException">The actor has used every counter up to 2^53.</exception>
    public Dot NextDot(string actor)
    {
        DataTypeLimits.CheckActor(actor);
        long next = MaxCounterOf(actor) + 1;
        if (next > VectorClock.MaxCounter) throw new VersionCounterOverflowException(actor, next);
        return new Dot(actor, next);
    }

    /// <summary>This context plus <paramref name="dots"/>.</summary>
    public CausalContext Add(IEnumerable<Dot> dots) => Normalize(Vector, Cloud.Concat(dots));

    /// <summary>The union: every dot seen by either side.</summary>
    public CausalContext Merge(CausalContext other)
    {
        if (ReferenceEquals(this, other) || other.IsEmpty) return this;
        if (IsEmpty) return other;
        if (Cloud.IsEmpty && other.Cloud.IsEmpty) return MergeVectors(other);
        return Normalize(Vector.Concat(other.Vector), Cloud.Concat(other.Cloud));
    }

    /// <summary>Pointwise maximum of two plain version vectors (the common case), by one walk over both.</summary>
    private CausalContext MergeVectors(CausalContext other)
    {
        var a = Vector;
        var b = other.Vector;
        var result = new Dot[a.Length + b.Length];
        int i = 0, j = 0, n = 0;
        bool sameAsThis = true, sameAsOther = true;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : string.CompareOrdinal(a[i].Node, b[j].Node);
            if (c < 0) { result[n++] = a[i++]; sameAsOther = false; }
            else if (c > 0) { result[n++] = b[j++]; sameAsThis = false; }
            else
            {
                if (a[i].Counter >= b[j].Counter) { result[n++] = a[i]; if (a[i].Counter > b[j].Counter) sameAsOther = false; }
                else { result[n++] = b[j]; sameAsThis = false; }
                i++;
                j++;
            }
        }
        if (sameAsThis) return this;
        if (sameAsOther) return other;
        return new CausalContext(ImmutableCollectionsMarshal.AsImmutableArray(result[..n]), ImmutableArray<Dot>.Empty);
    }

    /// <summary>True when every dot <paramref name="other"/> has seen, this one has seen too.</summary>
    public bool Covers(CausalContext other)
    {
        if (ReferenceEquals(this, other) || other.IsEmpty) return true;
        foreach (var v in other.Vector)
        {
            // Canonical form: this context lacks the dot one past its vector counter, so a shorter vector misses a dot.
            if (VectorCounterOf(v.Node) < v.Counter) return false;
        }
        foreach (var d in other.Cloud)
        {
            if (!Contains(d)) return false;
        }
        return true;
    }

    private static int IndexOf(ReadOnlySpan<Dot> sorted, string actor)
    {
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = string.CompareOrdinal(sorted[mid].Node, actor);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    public bool Equals(CausalContext? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            (Vector.AsSpan().SequenceEqual(other.Vector.AsSpan()) && Cloud.AsSpan().SequenceEqual(other.Cloud.AsSpan())));

    public override bool Equals(object? obj) => Equals(obj as CausalContext);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Vector) h.Add(d);
        foreach (var d in Cloud) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>A total order consistent with equality (vector, then cloud, each entry by entry): for canonical orders of removes.</summary>
    public int CompareTo(CausalContext? other)
    {
        if (other is null) return 1;
        int c = Dots.CompareSequences(Vector.AsSpan(), other.Vector.AsSpan());
        return c != 0 ? c : Dots.CompareSequences(Cloud.AsSpan(), other.Cloud.AsSpan());
    }

    public override string ToString() =>
        "[" + string.Join(",", Vector.Select(d => $"{d.Node}:1..{d.Counter}")) + (Cloud.IsEmpty ? "" : " +" + string.Join(",", Cloud)) + "]";
}
