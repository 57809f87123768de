using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// A map field's value: a dot store (Almeida et al.'s causal CRDTs) that shares the enclosing state's causal context.
/// Every dot it holds is one update that still has an effect; the context says which updates were seen, so a dot
/// seen on one side and absent there was removed. A field holds at least one dot: a field whose dots are all removed
/// is gone (<see cref="Without"/> and <see cref="Join"/> return null), so nothing is kept for removed fields.
/// </summary>
public abstract class FieldValue : IEquatable<FieldValue>
{
    private protected FieldValue()
    {
    }

    public abstract DataTypeKind Kind { get; }

    /// <summary>Every dot held (nested fields included).</summary>
    public abstract IEnumerable<Dot> AllDots();

    /// <summary>A dot held that <paramref name="context"/> has not seen, or null (no allocation: the decoder checks every state with it).</summary>
    internal abstract Dot? FirstUnseen(CausalContext context);

    /// <summary>This value without the dots <paramref name="removed"/> holds; null when nothing is left.</summary>
    internal abstract FieldValue? Without(CausalContext removed);

    /// <summary>The join with <paramref name="other"/> (same kind, or null for absent), each with its side's context; null when empty.</summary>
    private protected abstract FieldValue? JoinWith(FieldValue? other, CausalContext thisSeen, CausalContext otherSeen);

    /// <summary>The join of two values of one field (either may be absent): symmetric in its sides.</summary>
    internal static FieldValue? Join(FieldValue? a, CausalContext aSeen, FieldValue? b, CausalContext bSeen)
    {
        if (a is not null && b is not null && a.Kind != b.Kind)
            throw new ArgumentException($"cannot join a {DataTypeNames.Of(a.Kind)} with a {DataTypeNames.Of(b.Kind)}");
        return a is not null ? a.JoinWith(b, aSeen, bSeen) : b?.JoinWith(null, bSeen, aSeen);
    }

    public abstract bool Equals(FieldValue? other);

    public override bool Equals(object? obj) => Equals(obj as FieldValue);

    public override int GetHashCode() => HashCode.Combine(Kind, AllDots().Count());
}
