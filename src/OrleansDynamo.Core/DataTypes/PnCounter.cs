using System.Collections.Immutable;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>One actor's share of a <see cref="PnCounter"/>: everything it added and everything it subtracted.</summary>
public readonly record struct PnEntry(string Actor, long Increments, long Decrements)
{
    public override string ToString() => $"{Actor}:+{Increments}-{Decrements}";
}

/// <summary>
/// A counter (Riak's riak_dt_pncounter): per actor the totals of its increments and of its decrements, each only
/// growing, so the merge is the maximum per actor and the value is exactly the sum of every increment applied
/// anywhere. An actor's totals grow only through operations it coordinates on a state that holds all its earlier
/// ones (its own replica); a silo that lost data counts under a new actor (its new dot epoch).
/// </summary>
public sealed class PnCounter : DataTypeState
{
    public static readonly PnCounter Empty = new(ImmutableArray<PnEntry>.Empty);

    /// <summary>By actor (ordinal); each entry counts something.</summary>
    public ImmutableArray<PnEntry> Entries { get; }

    private PnCounter(ImmutableArray<PnEntry> entries) => Entries = entries;

    /// <summary>Wraps entries sorted by actor, unique, within 0..2^53 and not both 0; checked (the codec's entry point).</summary>
    internal static PnCounter Create(ImmutableArray<PnEntry> entries)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            if (e.Actor.Length == 0) throw new ArgumentException("a counter entry has an empty actor");
            if (e.Increments is < 0 or > DataTypeLimits.MaxCounter || e.Decrements is < 0 or > DataTypeLimits.MaxCounter)
                throw new ArgumentException($"counter entry {e} is outside 0..{DataTypeLimits.MaxCounter}");
            if (e.Increments == 0 && e.Decrements == 0) throw new ArgumentException($"counter entry {e} counts nothing");
            if (i > 0 && string.CompareOrdinal(entries[i - 1].Actor, e.Actor) >= 0) throw new ArgumentException("counter entries must be sorted by actor and unique");
        }
        return entries.IsEmpty ? Empty : new PnCounter(entries);
    }

    public override DataTypeKind Kind => DataTypeKind.Counter;

    /// <summary>Increments commute: a counter needs no causal context.</summary>
    public override CausalContext Context => CausalContext.Empty;

    public override bool IsEmpty => Entries.IsEmpty;

    /// <summary>Every actor's increments minus its decrements: exact, however many actors merges added up.</summary>
    public Int128 Value => Sum(Entries.Select(e => (e.Increments, e.Decrements)));

    internal static Int128 Sum(IEnumerable<(long Increments, long Decrements)> parts)
    {
        Int128 sum = 0;
        foreach (var (p, n) in parts) sum += (Int128)p - n;
        return sum;
    }

    public PnEntry? EntryOf(string actor)
    {
        foreach (var e in Entries)
        {
            if (e.Actor == actor) return e;
        }
        return null;
    }

    /// <summary>Adds <paramref name="amount"/> (negative subtracts) as <paramref name="actor"/>; the delta is the actor's new entry.</summary>
    /// <exception cref="DataTypeOperationException">The amount is beyond ±2^53, the actor's totals would pass 2^53, or the
    /// value would move past ±2^53; nothing changed.</exception>
    public DataTypeUpdate<PnCounter> Increment(string actor, long amount)
    {
        DataTypeLimits.CheckActor(actor);
        if (amount == 0) return new(this, Empty);
        var entry = EntryOf(actor) ?? new PnEntry(actor, 0, 0);
        var next = Step(entry.Increments, entry.Decrements, amount, Value, $"counter (actor '{actor}')");
        var updated = new PnEntry(actor, next.Increments, next.Decrements);
        var delta = new PnCounter([updated]);
        return new(Merge(delta), delta);
    }

    /// <summary>
    /// An actor's totals after adding <paramref name="amount"/>, checked against the bounds: the amount within ±2^53, each
    /// total within 2^53, and a value that does not move past ±2^53 (one already past may still move back).
    /// </summary>
    internal static (long Increments, long Decrements) Step(long increments, long decrements, long amount, Int128 value, string what)
    {
        const long max = DataTypeLimits.MaxCounter;
        if (amount > max || amount < -max)
            throw new DataTypeOperationException($"{what}: an increment of {amount} is beyond ±{max}");
        if (amount > 0 && increments + amount > max)
            throw new DataTypeOperationException($"{what}: counter overflow, the actor's increments would total {increments + amount}, above {max}");
        if (amount < 0 && decrements - amount > max)
            throw new DataTypeOperationException($"{what}: counter overflow, the actor's decrements would total {decrements - amount}, above {max}");
        var after = value + amount;
        if ((amount > 0 && after > max) || (amount < 0 && after < -max))
            throw new DataTypeOperationException($"{what}: counter overflow, the value would be {after}, beyond ±{max}");
        return amount > 0 ? (increments + amount, decrements) : (increments, decrements - amount);
    }

    /// <summary>Per actor the larger totals: commutative, associative, idempotent.</summary>
    public PnCounter Merge(PnCounter other)
    {
        if (ReferenceEquals(this, other) || other.IsEmpty) return this;
        if (IsEmpty) return other;
        var a = Entries;
        var b = other.Entries;
        var result = ImmutableArray.CreateBuilder<PnEntry>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : string.CompareOrdinal(a[i].Actor, b[j].Actor);
            if (c < 0) result.Add(a[i++]);
            else if (c > 0) result.Add(b[j++]);
            else
            {
                result.Add(new PnEntry(a[i].Actor, Math.Max(a[i].Increments, b[j].Increments), Math.Max(a[i].Decrements, b[j].Decrements)));
                i++;
                j++;
            }
        }
        var merged = new PnCounter(result.ToImmutable());
        return merged.Equals(this) ? this : merged;
    }

    public override bool Equals(DataTypeState? other) => other is PnCounter c && Entries.AsSpan().SequenceEqual(c.Entries.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Kind, Entries.Length);

    public override string ToString() => $"counter {Value} [{string.Join(",", Entries)}]";
}
