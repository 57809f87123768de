using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// A key's versions on one replica, as a dotted version vector set (Preguiça et al.; Riak 2.0 DVVSet):
/// a causal context (<see cref="Context"/>, everything this replica has seen) and the siblings still
/// live, each tagged with the dot of the write that made it. Every sibling's dot is covered by the
/// context. Two puts with the same client context through one coordinator get distinct dots, so both
/// survive; a put whose client context covers a sibling's dot replaces it.
/// </summary>
public sealed class SiblingSet : IEquatable<SiblingSet>
{
    public static readonly SiblingSet Empty = new(VectorClock.Empty, ImmutableArray<Sibling>.Empty);

    public VectorClock Context { get; }

    /// <summary>Live siblings ordered by dot (node ordinal, then counter): a canonical order.</summary>
    public ImmutableArray<Sibling> Siblings { get; }

    private SiblingSet(VectorClock context, ImmutableArray<Sibling> siblings)
    {
        Context = context;
        Siblings = siblings;
    }

    /// <summary>
    /// Builds a set, checking the invariants: every dot covered and unique, and every content type one
    /// <see cref="ContentTypes.Check"/> accepts, on a value (a delete marker has none).
    /// </summary>
    public static SiblingSet Create(VectorClock context, IEnumerable<Sibling> siblings) => FromUnsorted(context, siblings.ToArray());

    /// <summary><see cref="Create"/> over an array the caller gives up (sorted in place, then owned by the set).</summary>
    private static SiblingSet FromUnsorted(VectorClock context, Sibling[] sorted)
    {
        // Dots are unique in a valid set, so an unstable sort gives the one canonical order (duplicates throw below).
        if (sorted.Length > 1) Array.Sort(sorted, DotOrder.Instance);
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Dot.Counter < 1)
                throw new ArgumentException($"sibling dot {sorted[i].Dot} has a counter below 1");
            if (!context.Covers(sorted[i].Dot))
                throw new ArgumentException($"sibling dot {sorted[i].Dot} is not covered by context {context}");
            if (i > 0 && sorted[i - 1].Dot == sorted[i].Dot)
                throw new ArgumentException($"two siblings share dot {sorted[i].Dot}");
            if (sorted[i].ContentType is { } type && CheckContentType(type, sorted[i].Tombstone) is { } bad)
                throw new ArgumentException($"sibling {sorted[i].Dot}: {bad}");
        }
        return new SiblingSet(context, ImmutableCollectionsMarshal.AsImmutableArray(sorted));
    }

    /// <summary>Null when a sibling may carry <paramref name="contentType"/>, else why not.</summary>
    internal static string? CheckContentType(string contentType, bool tombstone) =>
        tombstone ? "a delete marker carries no content type" : ContentTypes.Check(contentType);

    /// <summary>Node (ordinal), then counter.</summary>
    private sealed class DotOrder : IComparer<Sibling>
    {
        public static readonly DotOrder Instance = new();

        public int Compare(Sibling? x, Sibling? y)
        {
            int c = string.CompareOrdinal(x!.Dot.Node, y!.Dot.Node);
            return c != 0 ? c : x.Dot.Counter.CompareTo(y.Dot.Counter);
        }
    }

    public bool IsEmpty => Siblings.IsEmpty && Context.IsEmpty;

    /// <summary>True when a get should report the key as not found: no siblings, or only delete markers.</summary>
    public bool IsDeleted => Siblings.All(s => s.Tombstone);

    /// <summary>
    /// The coordinator's step of a put (or delete, with <paramref name="tombstone"/>): drops the siblings
    /// the client had seen, adds the new value under a fresh dot (with <paramref name="contentType"/>, null for none),
    /// and folds the client's context in.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="contentType"/> is not one <see cref="ContentTypes.Check"/>
    /// accepts, or is given with a delete; nothing is made.</exception>
    /// <exception cref="VersionCounterOverflowException">The coordinator's counter, here or in the client's context, is
    /// already at <see cref="VectorClock.MaxCounter"/>: no fresh dot exists, and nothing is made.</exception>
    public SiblingSet Update(VectorClock clientContext, string coordinator, byte[] value, bool tombstone, long nowMs, string? contentType = null)
    {
        if (contentType is not null && CheckContentType(contentType, tombstone) is { } bad) throw new ArgumentException(bad, nameof(contentType));
        long counter = Math.Max(Context.CounterOf(coordinator), clientContext.CounterOf(coordinator)) + 1;
        if (counter > VectorClock.MaxCounter) throw new VersionCounterOverflowException(coordinator, counter);
        var dot = new Dot(coordinator, counter);
        var kept = new List<Sibling>(Siblings.Length + 1);
        foreach (var s in Siblings)
        {
            if (!clientContext.Covers(s.Dot)) kept.Add(s);
        }
        kept.Add(new Sibling(dot, value, tombstone, nowMs, contentType));
        var context = Context.Merge(clientContext).WithEntry(coordinator, counter, nowMs);
        return FromUnsorted(context, kept.ToArray());
    }

    /// <summary>
    /// Reconciles two replicas' sets (the replica-side step of a put, read repair, anti-entropy, handoff):
    /// a sibling survives unless the other side has seen its dot and dropped it. Commutative, associative
    /// and idempotent.
    /// </summary>
    public SiblingSet Merge(SiblingSet other)
    {
        if (ReferenceEquals(this, other) || other.IsEmpty) return this;
        if (IsEmpty) return other;
        var result = new List<Sibling>(Siblings.Length + other.Siblings.Length);
        foreach (var s in Siblings)
        {
            if (other.HasDot(s.Dot) || !other.Context.Covers(s.Dot)) result.Add(s);
        }
        foreach (var s in other.Siblings)
        {
            if (!HasDot(s.Dot) && !Context.Covers(s.Dot)) result.Add(s);
        }
        return FromUnsorted(Context.Merge(other.Context), result.ToArray());
    }

    /// <summary>Whether a live sibling carries <paramref name="dot"/> (siblings are few; a linear scan beats a hash set).</summary>
    private bool HasDot(Dot dot)
    {
        foreach (var s in Siblings)
        {
            if (s.Dot == dot) return true;
        }
        return false;
    }

    /// <summary>Keeps only the newest sibling by timestamp (ties broken by dot), whole (its content type too), for last-write-wins buckets.</summary>
    public SiblingSet ResolveLastWriteWins()
    {
        if (Siblings.Length <= 1) return this;
        var winner = Siblings.OrderByDescending(s => s.TimestampMs)
            .ThenByDescending(s => s.Dot.Node, StringComparer.Ordinal)
            .ThenByDescending(s => s.Dot.Counter)
            .First();
        return new SiblingSet(Context, ImmutableArray.Create(winner));
    }

    /// <summary>Prunes the context past <paramref name="maxEntries"/>, keeping every live sibling's node.</summary>
    public SiblingSet Prune(int maxEntries)
    {
        if (Context.Count <= maxEntries) return this;
        var keep = Siblings.Select(s => s.Dot.Node).ToHashSet(StringComparer.Ordinal);
        var pruned = Context.Prune(maxEntries, keep);
        return ReferenceEquals(pruned, Context) ? this : new SiblingSet(pruned, Siblings);
    }

    /// <summary>True when <paramref name="other"/> holds nothing this set lacks (merging it changes nothing).</summary>
    public bool Subsumes(SiblingSet other) => Equals(other) || Merge(other).Equals(this);

    /// <summary>Bytes of values held, for summaries.</summary>
    public long ValueBytes => Siblings.Sum(s => (long)s.Value.Length);

    public bool Equals(SiblingSet? other) =>
        other is not null && Context.Compare(other.Context) == Causality.Equal &&
        Siblings.AsSpan().SequenceEqual(other.Siblings.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as SiblingSet);

    public override int GetHashCode() => HashCode.Combine(Siblings.Length, Context.Count);

    public override string ToString() => $"{Context}[{string.Join(",", Siblings.Select(s => s.Tombstone ? s.Dot + "(del)" : s.Dot.ToString()))}]";
}
