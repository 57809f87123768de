using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>One assignment of a register: the dot of the update that made it and the value.</summary>
public readonly record struct RegisterValue(Dot Dot, byte[] Value)
{
    public bool Equals(RegisterValue other) => Dot == other.Dot && Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(Dot, Value.Length);

    public override string ToString() => $"{Dot}={Convert.ToHexString(Value)}";
}

/// <summary>
/// A register inside a map, last-writer-wins by causality (a multi-value register): an assignment replaces every value
/// the coordinator has seen, so a later write wins over every write it followed. Concurrent assignments are all kept
/// (<see cref="Values"/>) until an assignment that saw them replaces them; nothing is lost to a clock. A reader that
/// wants one value gets <see cref="Value"/>: the value with the greatest dot, by counter then actor name, the same on
/// every replica that holds the same assignments.
/// </summary>
public sealed class RegisterField : FieldValue
{
    /// <summary>The concurrent assignments, by dot; at least one.</summary>
    public ImmutableArray<RegisterValue> Values { get; }

    private RegisterField(ImmutableArray<RegisterValue> values) => Values = values;

    internal static RegisterField Single(RegisterValue value) => new([value]);

    /// <summary>Wraps assignments sorted by dot, unique, each within the size bound; checked (the codec's entry point).</summary>
    internal static RegisterField Create(ImmutableArray<RegisterValue> values)
    {
        if (values.IsEmpty) throw new ArgumentException("a register field has no values");
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i].Value.Length > DataTypeLimits.MaxRegisterBytes)
                throw new ArgumentException($"register value {values[i].Dot} is {values[i].Value.Length} bytes, above {DataTypeLimits.MaxRegisterBytes}");
            if (i > 0 && Dots.Compare(values[i - 1].Dot, values[i].Dot) >= 0) throw new ArgumentException("register values must be sorted by dot and unique");
        }
        return new RegisterField(values);
    }

    public override DataTypeKind Kind => DataTypeKind.Register;

    /// <summary>The deterministic pick among concurrent values: the greatest dot by counter, then actor (ordinal).</summary>
    public byte[] Value
    {
        get
        {
            var best = Values[0];
            foreach (var v in Values)
            {
                if (v.Dot.Counter > best.Dot.Counter || (v.Dot.Counter == best.Dot.Counter && string.CompareOrdinal(v.Dot.Node, best.Dot.Node) > 0)) best = v;
            }
            return best.Value;
        }
    }

    public override IEnumerable<Dot> AllDots() => Values.Select(v => v.Dot);

    internal override Dot? FirstUnseen(CausalContext context)
    {
        foreach (var v in Values)
        {
            if (!context.Contains(v.Dot)) return v.Dot;
        }
        return null;
    }

    internal override FieldValue? Without(CausalContext removed)
    {
        if (!Values.Any(v => removed.Contains(v.Dot))) return this;
        var kept = Values.Where(v => !removed.Contains(v.Dot)).ToImmutableArray();
        return kept.IsEmpty ? null : new RegisterField(kept);
    }

    private protected override FieldValue? JoinWith(FieldValue? other, CausalContext thisSeen, CausalContext otherSeen)
    {
        if (other is null) return Without(otherSeen);
        var a = Values;
        var b = ((RegisterField)other).Values;
        var result = ImmutableArray.CreateBuilder<RegisterValue>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : Dots.Compare(a[i].Dot, b[j].Dot);
            if (c == 0)
            {
                // One dot is one assignment, so both sides hold the same bytes; were they ever to differ, both keep the smaller.
                result.Add(a[i].Value.AsSpan().SequenceCompareTo(b[j].Value) <= 0 ? a[i] : b[j]);
                i++;
                j++;
            }
            else if (c < 0)
            {
                if (!otherSeen.Contains(a[i].Dot)) result.Add(a[i]);
                i++;
            }
            else
            {
                if (!thisSeen.Contains(b[j].Dot)) result.Add(b[j]);
                j++;
            }
        }
        return result.Count == 0 ? null : new RegisterField(result.ToImmutable());
    }

    public override bool Equals(FieldValue? other) =>
        other is RegisterField r && Values.AsSpan().SequenceEqual(r.Values.AsSpan());

    public override int GetHashCode() => base.GetHashCode();

    public override string ToString() => $"register({string.Join(",", Values)})";
}
