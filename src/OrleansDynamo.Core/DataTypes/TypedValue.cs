using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// How a typed bucket's value is kept and moved in the store's and the replicas' sibling-set form: one sibling holding
/// the canonical encoding of the state (<see cref="DataTypeCodec"/>), under a fixed dot and timestamp. The wrapper
/// carries no causality of its own (the state's context does), so equal states are equal sets, byte for byte, and
/// Merkle digests of replicas holding one state agree. Every path that moves sets merges them with <see cref="Merge"/>
/// (through <see cref="Coordination.ConflictPolicies.Merge"/>), never with <see cref="SiblingSet.Merge"/>, which
/// would keep one side's state because both carry the same dot.
/// </summary>
public static class TypedValue
{
    /// <summary>The wrapper's actor: not a silo's dot actor (those are <c>name~epoch</c> or a silo name, never this).</summary>
    public const string WrapperActor = "~state";

    private static readonly Dot WrapperDot = new(WrapperActor, 1);
    private static readonly VectorClock WrapperContext = VectorClock.From([new ClockEntry(WrapperActor, 1, 0)]);

    /// <summary>The set holding <paramref name="state"/>.</summary>
    public static SiblingSet Wrap(DataTypeState state) =>
        SiblingSet.Create(WrapperContext, [new Sibling(WrapperDot, DataTypeCodec.Encode(state), false, 0)]);

    /// <summary>The state a stored or received set holds; the empty state of <paramref name="kind"/> for null or an empty set.</summary>
    /// <exception cref="VersionFormatException">The set is not one state of type <paramref name="kind"/>.</exception>
    public static DataTypeState Unwrap(SiblingSet? set, DataTypeKind kind)
    {
        if (set is null || set.IsEmpty) return DataTypeState.EmptyOf(kind);
        if (set.Siblings.Length != 1 || set.Siblings[0].Dot != WrapperDot || set.Siblings[0].Tombstone)
            throw new VersionFormatException($"a {DataTypeNames.Of(kind)} bucket's value holds {set.Siblings.Length} versions {set}, not one {DataTypeNames.Of(kind)} state");
        return Decode(set.Siblings[0].Value, kind);
    }

    /// <summary>Decodes a state of type <paramref name="kind"/>.</summary>
    /// <exception cref="VersionFormatException">The bytes are not a state of that type.</exception>
    public static DataTypeState Decode(ReadOnlySpan<byte> bytes, DataTypeKind kind)
    {
        var state = DataTypeCodec.Decode(bytes);
        if (state.Kind != kind) throw new VersionFormatException($"the value is a {DataTypeNames.Of(state.Kind)}, not a {DataTypeNames.Of(kind)}");
        return state;
    }

    /// <summary>The join of two sets holding states of type <paramref name="kind"/> (either may be empty).</summary>
    public static SiblingSet Merge(SiblingSet a, SiblingSet b, DataTypeKind kind)
    {
        if (b.IsEmpty || ReferenceEquals(a, b)) return a.IsEmpty ? a : Canonical(a, kind);
        if (a.IsEmpty) return Canonical(b, kind);
        var sa = Unwrap(a, kind);
        var merged = sa.Merge(Unwrap(b, kind));
        return merged.Equals(sa) ? a : Wrap(merged);
    }

    /// <summary>The set itself once checked to hold one state of the type (a merge never passes on a malformed set).</summary>
    private static SiblingSet Canonical(SiblingSet set, DataTypeKind kind)
    {
        Unwrap(set, kind);
        return set;
    }

    /// <summary>
    /// True when <paramref name="actor"/> has updated the state: its dots are in the context, or it has a counter
    /// entry. A replica that forgets such a state must sign under a new dot epoch before it applies operations again.
    /// </summary>
    public static bool Touched(DataTypeState state, string actor) => state switch
    {
        PnCounter counter => counter.EntryOf(actor) is not null,
        _ => state.Context.MaxCounterOf(actor) > 0,
    };

    /// <summary>
    /// Whether a get finds the key: a counter once incremented, a set with a member, a map with a field. A deleted set or
    /// map keeps its context (so what was removed stays removed) and reads as not found.
    /// </summary>
    public static bool HasValue(DataTypeState state) => state switch
    {
        OrSet set => !set.Entries.IsEmpty,
        OrMap map => !map.Fields.IsEmpty,
        _ => !state.IsEmpty,
    };

    /// <summary>True when the set has the wrapper's form (a typed value), without decoding the state.</summary>
    public static bool IsWrapped(SiblingSet set) => set.Siblings.Length == 1 && set.Siblings[0].Dot == WrapperDot;

    /// <summary>
    /// The operation that deletes a key's value as a client saw it: every element of a set, every field of a map,
    /// removed with the client's observed context, so adds the client did not see survive and nothing removed comes
    /// back on a merge. A counter cannot be deleted (it has no causal context; increment it by minus its value).
    /// </summary>
    /// <exception cref="DataTypeOperationException">The state is a counter.</exception>
    public static DataTypeOperation DeleteOf(DataTypeState state) => state switch
    {
        OrSet set => new SetRemove(set.Elements),
        OrMap map => new MapUpdate([.. map.Fields.Select(f => (MapFieldOperation)new FieldRemove(f.Key))]),
        _ => throw new DataTypeOperationException($"a {DataTypeNames.Of(state.Kind)} cannot be deleted; increment it by minus its value"),
    };
}
