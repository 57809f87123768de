using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// An observed-remove set without tombstones (Riak's riak_dt_orswot; Bieniusa et al.'s optimized OR-Set): per element
/// the dots of the adds that stand, plus the causal context of everything seen. An add gives the element a fresh dot;
/// a remove drops the dots its client observed, so a concurrent add it did not see survives (add wins), and an element
/// removed stays removed until an add made after the remove was observed. A removed element leaves nothing behind:
/// the context alone (a version vector, plus a dot cloud only while deltas arrive out of order) tells that its dots
/// were seen. Removes whose client saw more than this replica wait as <see cref="Deferred"/> until it catches up.
/// </summary>
public sealed class OrSet : DataTypeState
{
    public static readonly OrSet Empty = new(CausalContext.Empty, ImmutableArray<SetEntry>.Empty, ImmutableArray<DeferredRemove>.Empty);

    public override CausalContext Context { get; }

    /// <summary>Elements in ordinal order, each with the dots of its standing adds.</summary>
    public ImmutableArray<SetEntry> Entries { get; }

    /// <summary>Removes waiting for updates they observed (sorted; each observed something <see cref="Context"/> lacks).</summary>
    public ImmutableArray<DeferredRemove> Deferred { get; }

    private OrSet(CausalContext context, ImmutableArray<SetEntry> entries, ImmutableArray<DeferredRemove> deferred)
    {
        Context = context;
        Entries = entries;
        Deferred = deferred;
    }

    /// <summary>
    /// Builds a set and checks every invariant a merge relies on: entries sorted with sorted dots, every dot seen by the
    /// context, waiting removes sorted, of one element each, not yet caught up with, and already applied (the codec's entry point).
    /// </summary>
    internal static OrSet Create(CausalContext context, ImmutableArray<SetEntry> entries, ImmutableArray<DeferredRemove> deferred)
    {
        SetField.Check(entries);
        foreach (var e in entries)
        {
            foreach (var d in e.Dots)
            {
                if (!context.Contains(d)) throw new ArgumentException($"set element '{DataTypeLimits.Shorten(e.Element)}' has dot {d}, which the context has not seen");
            }
        }
        if (!DeferredRemove.IsStrictlySorted(deferred)) throw new ArgumentException("waiting removes must be sorted and unique");
        foreach (var r in deferred)
        {
            if (!r.Path.IsEmpty || r.Element is null) throw new ArgumentException($"a set's waiting remove must name one element: {r}");
            if (context.Covers(r.Observed)) throw new ArgumentException($"waiting remove of '{DataTypeLimits.Shorten(r.Element)}' observed nothing the context lacks");
            if (SetField.DotsOf(entries, r.Element).Any(r.Observed.Contains))
                throw new ArgumentException($"waiting remove of '{DataTypeLimits.Shorten(r.Element)}' was not applied");
        }
        return context.IsEmpty && entries.IsEmpty && deferred.IsEmpty ? Empty : new OrSet(context, entries, deferred);
    }

    public override DataTypeKind Kind => DataTypeKind.Set;

    public override bool IsEmpty => Context.IsEmpty && Entries.IsEmpty && Deferred.IsEmpty;

    /// <summary>The elements, in ordinal order.</summary>
    public ImmutableArray<string> Elements => Entries.Select(e => e.Element).ToImmutableArray();

    public bool Contains(string element) => SetField.IndexOf(Entries, element) >= 0;

    public ImmutableArray<Dot> DotsOf(string element) => SetField.DotsOf(Entries, element);

    /// <summary>
    /// Adds <paramref name="elements"/> as <paramref name="actor"/>: each gets a fresh dot in place of the dots this state
    /// holds for it (an element named twice keeps the later dot). The delta holds the new dots and, in its context, the
    /// replaced ones.
    /// </summary>
    /// <exception cref="DataTypeOperationException">An element is too long or not valid Unicode, or there are too many.</exception>
    /// <exception cref="VersionCounterOverflowException">The actor has no dot left (2^53 used).</exception>
    public DataTypeUpdate<OrSet> Add(string actor, IEnumerable<string> elements)
    {
        DataTypeLimits.CheckActor(actor);
        var list = Checked(elements, "set add");
        if (list.Count == 0) return new(this, Empty);
        long first = Context.NextDot(actor).Counter;
        if (first + list.Count - 1 > VectorClock.MaxCounter) throw new VersionCounterOverflowException(actor, first + list.Count - 1);
        var seen = new List<Dot>(list.Count * 2);
        var added = new SortedDictionary<string, Dot>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            var dot = new Dot(actor, first + i);
            seen.Add(dot);
            if (added.TryAdd(list[i], dot)) seen.AddRange(DotsOf(list[i]));
            else added[list[i]] = dot;
        }
        var step = new OrSet(CausalContext.From(seen), added.Select(a => new SetEntry(a.Key, [a.Value])).ToImmutableArray(), ImmutableArray<DeferredRemove>.Empty);
        return new(Merge(step), step);
    }

    /// <summary>
    /// Removes <paramref name="elements"/>: drops each one's dots that <paramref name="observed"/> holds (null: this
    /// replica's context), and nothing else. When the client observed more than this replica has seen, the remove also
    /// waits in <see cref="Deferred"/> for the rest. Removing an element that is not here changes nothing now.
    /// </summary>
    /// <exception cref="DataTypeOperationException">An element is bad, there are too many, or too many removes already wait.</exception>
    public DataTypeUpdate<OrSet> Remove(IEnumerable<string> elements, CausalContext? observed)
    {
        var list = Checked(elements, "set remove").Distinct().ToList();
        var seen = observed ?? Context;
        var removed = list.SelectMany(e => DotsOf(e).Where(seen.Contains)).ToList();
        var deferred = ImmutableArray<DeferredRemove>.Empty;
        if (!Context.Covers(seen) && list.Count > 0)
        {
            if (Deferred.Length + list.Count > DataTypeLimits.MaxDeferredRemoves)
                throw new DataTypeOperationException($"set remove: {Deferred.Length} removes already wait for updates this replica has not seen; read the set again");
            deferred = [.. list.Order(StringComparer.Ordinal).Select(e => new DeferredRemove(ImmutableArray<FieldKey>.Empty, e, seen))];
        }
        if (removed.Count == 0 && deferred.IsEmpty) return new(this, Empty);
        var step = new OrSet(CausalContext.From(removed), ImmutableArray<SetEntry>.Empty, deferred);
        return new(Merge(step), step);
    }

    private static List<string> Checked(IEnumerable<string> elements, string what)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var list = new List<string>();
        foreach (var e in elements)
        {
            list.Add(e);
            CheckItems(list.Count, what);
            DataTypeLimits.CheckElement(e, what);
        }
        return list;
    }

    /// <summary>
    /// The join: contexts united, per element the join of its dots, then every waiting remove of either side applied,
    /// and kept only while it observed something the merged context lacks.
    /// </summary>
    public OrSet Merge(OrSet other)
    {
        if (ReferenceEquals(this, other) || other.IsEmpty) return this;
        if (IsEmpty) return other;
        var context = Context.Merge(other.Context);
        var entries = SetField.Join(Entries, Context, other.Entries, other.Context);
        var deferred = DeferredRemove.Union(Deferred, other.Deferred);
        foreach (var r in deferred) entries = SetField.WithoutElement(entries, r.Element!, r.Observed);
        return new OrSet(context, entries, DeferredRemove.Pending(deferred, context));
    }

    public override bool Equals(DataTypeState? other) =>
        other is OrSet s && Context.Equals(s.Context) && Entries.AsSpan().SequenceEqual(s.Entries.AsSpan()) && Deferred.AsSpan().SequenceEqual(s.Deferred.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Kind, Context, Entries.Length);

    public override string ToString() =>
        $"set {{{string.Join(",", Entries)}}} seen {Context}{(Deferred.IsEmpty ? "" : " waiting " + string.Join("; ", Deferred))}";
}
