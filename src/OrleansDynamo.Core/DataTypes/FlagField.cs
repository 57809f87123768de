using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// An enable-wins flag inside a map (Riak's riak_dt_od_flag): the dots of the enables that stand. Enabling gives a
/// fresh dot in place of the ones the coordinator holds; disabling drops the enables the client observed, so an enable
/// the disable did not see keeps the flag on. A disabled flag holds no dot, so it is an absent field: reading it as
/// false needs nothing stored.
/// </summary>
public sealed class FlagField : FieldValue
{
    /// <summary>The standing enables, sorted; at least one.</summary>
    public ImmutableArray<Dot> Dots { get; }

    private FlagField(ImmutableArray<Dot> dots) => Dots = dots;

    internal static FlagField? Of(ImmutableArray<Dot> dots) => dots.IsEmpty ? null : new FlagField(dots);

    /// <summary>Wraps dots sorted and unique; checked (the codec's entry point).</summary>
    internal static FlagField Create(ImmutableArray<Dot> dots)
    {
        if (dots.IsEmpty) throw new ArgumentException("a flag field has no dots");
        if (!DataTypes.Dots.IsStrictlySorted(dots.AsSpan())) throw new ArgumentException("flag dots must be sorted and unique");
        return new FlagField(dots);
    }

    public override DataTypeKind Kind => DataTypeKind.Flag;

    /// <summary>Always true: a flag field is present only while enabled.</summary>
    public bool Enabled => !Dots.IsEmpty;

    public override IEnumerable<Dot> AllDots() => Dots;

    internal override Dot? FirstUnseen(CausalContext context)
    {
        foreach (var d in Dots)
        {
            if (!context.Contains(d)) return d;
        }
        return null;
    }

    internal override FieldValue? Without(CausalContext removed) => Of(DataTypes.Dots.Without(Dots, removed));

    private protected override FieldValue? JoinWith(FieldValue? other, CausalContext thisSeen, CausalContext otherSeen) =>
        Of(DataTypes.Dots.Join(Dots, thisSeen, (other as FlagField)?.Dots ?? ImmutableArray<Dot>.Empty, otherSeen));

    public override bool Equals(FieldValue? other) => other is FlagField f && Dots.AsSpan().SequenceEqual(f.Dots.AsSpan());

    public override int GetHashCode() => base.GetHashCode();

    public override string ToString() => $"flag({string.Join(",", Dots)})";
}
