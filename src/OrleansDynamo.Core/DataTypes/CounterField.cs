using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>One actor's part of a counter field: its running increments and decrements, under the dot of its latest update.</summary>
public readonly record struct CounterEntry(Dot Dot, long Increments, long Decrements)
{
    public string Actor => Dot.Node;

    public override string ToString() => $"{Dot}:+{Increments}-{Decrements}";
}

/// <summary>
/// A counter inside a map (Riak's riak_dt_emcntr): per actor the running totals of its increments and decrements,
/// tagged with the dot of its latest update, which replaces the actor's previous entry. Because entries carry dots, a
/// field remove resets what it observed: the entries it saw are dropped everywhere. An increment concurrent with the
/// remove keeps the field, and its entry carries that actor's whole running total (the actor did not see the remove),
/// so that actor's earlier contribution comes back while every other actor's observed contribution stays removed.
/// A counter at the top of a bucket cannot be removed and is a plain <see cref="PnCounter"/>.
/// </summary>
public sealed class CounterField : FieldValue
{
    /// <summary>One entry per actor, by actor (ordinal); each has increments or decrements.</summary>
    public ImmutableArray<CounterEntry> Entries { get; }

    private CounterField(ImmutableArray<CounterEntry> entries) => Entries = entries;

    /// <summary>Wraps entries sorted by actor, one per actor, within bounds; checked (the codec's entry point).</summary>
    internal static CounterField Create(ImmutableArray<CounterEntry> entries)
    {
        if (entries.IsEmpty) throw new ArgumentException("a counter field has no entries");
        for (int i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            if (e.Increments is < 0 or > DataTypeLimits.MaxCounter || e.Decrements is < 0 or > DataTypeLimits.MaxCounter)
                throw new ArgumentException($"counter entry {e} is outside 0..{DataTypeLimits.MaxCounter}");
            if (e.Increments == 0 && e.Decrements == 0) throw new ArgumentException($"counter entry {e} counts nothing");
            if (i > 0 && string.CompareOrdinal(entries[i - 1].Actor, e.Actor) >= 0)
                throw new ArgumentException("counter entries must be sorted by actor, one per actor");
        }
        return new CounterField(entries);
    }

    internal static CounterField Single(CounterEntry entry) => new([entry]);

    public override DataTypeKind Kind => DataTypeKind.Counter;

    /// <summary>The sum of every actor's increments minus its decrements (exact, whatever merges added up).</summary>
    public Int128 Value => PnCounter.Sum(Entries.Select(e => (e.Increments, e.Decrements)));

    public CounterEntry? EntryOf(string actor)
    {
        foreach (var e in Entries)
        {
            if (e.Actor == actor) return e;
        }
        return null;
    }

    public override IEnumerable<Dot> AllDots() => Entries.Select(e => e.Dot);

    internal override Dot? FirstUnseen(CausalContext context)
    {
        foreach (var e in Entries)
        {
            if (!context.Contains(e.Dot)) return e.Dot;
        }
        return null;
    }

    internal override FieldValue? Without(CausalContext removed)
    {
        if (!Entries.Any(e => removed.Contains(e.Dot))) return this;
        var kept = Entries.Where(e => !removed.Contains(e.Dot)).ToImmutableArray();
        return kept.IsEmpty ? null : new CounterField(kept);
    }

    private protected override FieldValue? JoinWith(FieldValue? other, CausalContext thisSeen, CausalContext otherSeen)
    {
        if (other is null) return Without(otherSeen);
        var a = Entries;
        var b = ((CounterField)other).Entries;
        var result = ImmutableArray.CreateBuilder<CounterEntry>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : string.CompareOrdinal(a[i].Actor, b[j].Actor);
            CounterEntry? ea = c <= 0 ? a[i++] : null;
            CounterEntry? eb = c >= 0 ? b[j++] : null;
            if (Pick(ea, thisSeen, eb, otherSeen) is { } kept) result.Add(kept);
        }
        return result.Count == 0 ? null : new CounterField(result.ToImmutable());
    }

    /// <summary>
    /// One actor's entry after a join: an entry survives when both sides hold its dot or the other side has not seen it.
    /// Two different surviving dots (only deltas delivered out of order make them) keep the later one, as Riak does.
    /// </summary>
    private static CounterEntry? Pick(CounterEntry? a, CausalContext aSeen, CounterEntry? b, CausalContext bSeen)
    {
        if (a is { } x && b is { } y && x.Dot == y.Dot)
            return new CounterEntry(x.Dot, Math.Max(x.Increments, y.Increments), Math.Max(x.Decrements, y.Decrements));
        bool aLives = a is { } ea && !bSeen.Contains(ea.Dot);
        bool bLives = b is { } eb && !aSeen.Contains(eb.Dot);
        if (aLives && bLives) return a!.Value.Dot.Counter > b!.Value.Dot.Counter ? a : b;
        return aLives ? a : bLives ? b : null;
    }

    public override bool Equals(FieldValue? other) =>
        other is CounterField c && Entries.AsSpan().SequenceEqual(c.Entries.AsSpan());

    public override int GetHashCode() => base.GetHashCode();

    public override string ToString() => $"counter({string.Join(",", Entries)})";
}
