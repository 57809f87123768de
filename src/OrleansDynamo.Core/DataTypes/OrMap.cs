using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// A map of convergent fields (Riak's riak_dt_map; Almeida et al.'s ORMap): fields keyed by name and type, each a
/// counter, set, register, flag or nested map, all sharing this state's causal context. A field exists while it holds
/// the dot of some update; removing it drops what the client observed in it, so an update the remove did not see keeps
/// the field (update wins), and nothing is kept for removed fields. Removes whose client saw more than this replica
/// wait as <see cref="Deferred"/> until it catches up.
/// </summary>
public sealed partial class OrMap : DataTypeState
{
    public static readonly OrMap Empty = new(CausalContext.Empty, ImmutableArray<MapEntry>.Empty, ImmutableArray<DeferredRemove>.Empty);

    public override CausalContext Context { get; }

    /// <summary>Fields by key (name ordinal, then type).</summary>
    public ImmutableArray<MapEntry> Fields { get; }

    /// <summary>Removes waiting for updates they observed (sorted; each observed something <see cref="Context"/> lacks).</summary>
    public ImmutableArray<DeferredRemove> Deferred { get; }

    private OrMap(CausalContext context, ImmutableArray<MapEntry> fields, ImmutableArray<DeferredRemove> deferred)
    {
        Context = context;
        Fields = fields;
        Deferred = deferred;
    }

    /// <summary>
    /// Builds a map and checks every invariant a merge relies on: fields sorted and of their keys' types, every dot seen by
    /// the context, waiting removes sorted, on valid paths, not yet caught up with, and already applied (the codec's entry point).
    /// </summary>
    internal static OrMap Create(CausalContext context, ImmutableArray<MapEntry> fields, ImmutableArray<DeferredRemove> deferred)
    {
        MapField.Check(fields);
        foreach (var f in fields)
        {
            if (f.Value.FirstUnseen(context) is { } d) throw new ArgumentException($"map field {f.Key} has dot {d}, which the context has not seen");
        }
        if (!DeferredRemove.IsStrictlySorted(deferred)) throw new ArgumentException("waiting removes must be sorted and unique");
        foreach (var r in deferred)
        {
            CheckPath(r);
            if (context.Covers(r.Observed)) throw new ArgumentException($"waiting {r} observed nothing the context lacks");
            if (MapField.At(fields, r.Path.AsSpan()) is { } value && DotsUnder(value, r.Element).Any(r.Observed.Contains))
                throw new ArgumentException($"waiting {r} was not applied");
        }
        return context.IsEmpty && fields.IsEmpty && deferred.IsEmpty ? Empty : new OrMap(context, fields, deferred);
    }

    private static void CheckPath(DeferredRemove r)
    {
        if (r.Path.IsEmpty || r.Path.Length > DataTypeLimits.MaxMapDepth) throw new ArgumentException($"waiting remove has a path of {r.Path.Length} fields");
        for (int i = 0; i < r.Path.Length - 1; i++)
        {
            if (r.Path[i].Kind != DataTypeKind.Map) throw new ArgumentException($"waiting {r} goes through a field that is not a map");
        }
        if (r.Element is not null && r.Path[^1].Kind != DataTypeKind.Set) throw new ArgumentException($"waiting {r} removes an element from a field that is not a set");
    }

    public override DataTypeKind Kind => DataTypeKind.Map;

    public override bool IsEmpty => Context.IsEmpty && Fields.IsEmpty && Deferred.IsEmpty;

    public FieldValue? Get(FieldKey key) => MapField.Get(Fields, key);

    /// <summary>The value at <paramref name="path"/> (each key but the last a map field), or null when absent.</summary>
    public FieldValue? At(params ReadOnlySpan<FieldKey> path) => path.IsEmpty ? null : MapField.At(Fields, path);

    /// <summary>The dots a remove at this value takes from: all of them, or one set element's.</summary>
    private static IEnumerable<Dot> DotsUnder(FieldValue? value, string? element) =>
        element is null ? value?.AllDots() ?? [] : value is SetField s ? SetField.DotsOf(s.Entries, element) : [];

    /// <summary>
    /// The join: contexts united, per field the join of its values, then every waiting remove of either side applied,
    /// and kept only while it observed something the merged context lacks.
    /// </summary>
    public OrMap Merge(OrMap other)
    {
        if (ReferenceEquals(this, other) || other.IsEmpty) return this;
        if (IsEmpty) return other;
        var context = Context.Merge(other.Context);
        var fields = MapField.Join(Fields, Context, other.Fields, other.Context);
        var deferred = DeferredRemove.Union(Deferred, other.Deferred);
        foreach (var r in deferred) fields = ApplyRemove(fields, r);
        return new OrMap(context, fields, DeferredRemove.Pending(deferred, context));
    }

    /// <summary>
    /// <see cref="Merge"/> with one step of an update made from this state (or from the update's delta so far), whose
    /// store and context concern only the value at <paramref name="path"/>: its new dot is fresh, and the dots it replaces
    /// or removes lie under the path. So the join is done there alone, and a step costs the path, not the whole map. A
    /// step's waiting remove needs no applying here: every dot under the path that it observed and this state holds is
    /// already in the step's context, and the earlier steps' dots are too new for a client to have observed. The world
    /// tests check every update against the full merge of its delta.
    /// </summary>
    internal OrMap MergeStep(OrMap step, ReadOnlySpan<FieldKey> path)
    {
        var context = Context.Merge(step.Context);
        var joined = FieldValue.Join(MapField.At(Fields, path), Context, MapField.At(step.Fields, path), step.Context);
        var fields = MapField.With(Fields, path, joined);
        return new OrMap(context, fields, DeferredRemove.Pending(DeferredRemove.Union(Deferred, step.Deferred), context));
    }

    /// <summary>Drops the dots under <paramref name="remove"/>'s path (or of its element) that it observed.</summary>
    private static ImmutableArray<MapEntry> ApplyRemove(ImmutableArray<MapEntry> fields, DeferredRemove remove)
    {
        var path = remove.Path.AsSpan();
        if (MapField.At(fields, path) is not { } value) return fields;
        FieldValue? after;
        if (remove.Element is null)
        {
            after = value.Without(remove.Observed);
        }
        else
        {
            var entries = ((SetField)value).Entries;
            var kept = SetField.WithoutElement(entries, remove.Element, remove.Observed);
            if (kept == entries) return fields;
            after = SetField.Of(kept);
        }
        return ReferenceEquals(after, value) ? fields : MapField.With(fields, path, after);
    }

    public override bool Equals(DataTypeState? other) =>
        other is OrMap m && Context.Equals(m.Context) && MapField.SameFields(Fields, m.Fields) && Deferred.AsSpan().SequenceEqual(m.Deferred.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Kind, Context, Fields.Length);

    public override string ToString() =>
        $"map {{{string.Join(",", Fields)}}} seen {Context}{(Deferred.IsEmpty ? "" : " waiting " + string.Join("; ", Deferred))}";
}
