using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>The causal partial order, least upper bound and pruning laws of <see cref="VectorClock"/>.</summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = Generators.MaxTest)]
public class VectorClockProperties
{
    private static bool LessOrEqual(VectorClock a, VectorClock b) => a.Compare(b) is Causality.Before or Causality.Equal;

    /// <summary>The order by definition: compare every node's counter.</summary>
    private static Causality Oracle(VectorClock a, VectorClock b)
    {
        var nodes = a.Entries.Select(e => e.Node).Union(b.Entries.Select(e => e.Node)).ToList();
        bool aGreater = nodes.Any(n => a.CounterOf(n) > b.CounterOf(n));
        bool bGreater = nodes.Any(n => b.CounterOf(n) > a.CounterOf(n));
        return (aGreater, bGreater) switch
        {
            (false, false) => Causality.Equal,
            (true, false) => Causality.After,
            (false, true) => Causality.Before,
            _ => Causality.Concurrent,
        };
    }

    private static VectorClock Copy(VectorClock c) => VectorClock.From(c.Entries.Reverse());

    [Property]
    public void Compare_matches_pointwise_counters(VectorClock a, VectorClock b) =>
        Assert.Equal(Oracle(a, b), a.Compare(b));

    [Property]
    public void Compare_is_reflexive(VectorClock a)
    {
        Assert.Equal(Causality.Equal, a.Compare(a));
        Assert.Equal(Causality.Equal, a.Compare(Copy(a)));
        Assert.True(a.Descends(a));
    }

    [Property]
    public void Compare_is_antisymmetric(VectorClock a, VectorClock b)
    {
        var ab = a.Compare(b);
        var ba = b.Compare(a);
        Assert.Equal(ab == Causality.Before, ba == Causality.After);
        Assert.Equal(ab == Causality.After, ba == Causality.Before);
        Assert.Equal(ab == Causality.Equal, ba == Causality.Equal);
        Assert.Equal(ab == Causality.Concurrent, ba == Causality.Concurrent);
    }

    [Property]
    public void Equal_clocks_have_equal_counters(VectorClock a, VectorClock b)
    {
        if (a.Compare(b) != Causality.Equal) return;
        foreach (var n in Generators.Nodes) Assert.Equal(a.CounterOf(n), b.CounterOf(n));
    }

    [Property]
    public void Order_is_transitive_on_chains(ClockChain chain)
    {
        Assert.True(LessOrEqual(chain.A, chain.B));
        Assert.True(LessOrEqual(chain.B, chain.C));
        Assert.True(LessOrEqual(chain.A, chain.C));
    }

    [Property]
    public Property Order_is_transitive_on_random_triples(VectorClock a, VectorClock b, VectorClock c)
    {
        bool premise = LessOrEqual(a, b) && LessOrEqual(b, c);
        return Prop.Classify(!premise || LessOrEqual(a, c), premise, "premise held");
    }

    [Property]
    public void Merge_is_an_upper_bound(VectorClock a, VectorClock b)
    {
        var m = a.Merge(b);
        Assert.True(LessOrEqual(a, m), $"{a} ≤ {m}");
        Assert.True(LessOrEqual(b, m), $"{b} ≤ {m}");
        foreach (var n in Generators.Nodes) Assert.Equal(Math.Max(a.CounterOf(n), b.CounterOf(n)), m.CounterOf(n));
    }

    [Property]
    public void Merge_is_the_least_upper_bound(UpperBoundCase u)
    {
        Assert.True(LessOrEqual(u.A, u.UpperBound));
        Assert.True(LessOrEqual(u.B, u.UpperBound));
        Assert.True(LessOrEqual(u.A.Merge(u.B), u.UpperBound), $"{u.A} ⊔ {u.B} ≤ {u.UpperBound}");
    }

    [Property]
    public void Merge_is_below_any_random_common_upper_bound(VectorClock a, VectorClock b, VectorClock c)
    {
        if (LessOrEqual(a, c) && LessOrEqual(b, c)) Assert.True(LessOrEqual(a.Merge(b), c));
    }

    [Property]
    public void Merge_is_commutative(VectorClock a, VectorClock b)
    {
        Assert.Equal(Causality.Equal, a.Merge(b).Compare(b.Merge(a)));
        Assert.Equal(a.Merge(b), b.Merge(a));
    }

    [Property]
    public void Merge_is_associative(VectorClock a, VectorClock b, VectorClock c)
    {
        Assert.Equal(Causality.Equal, a.Merge(b).Merge(c).Compare(a.Merge(b.Merge(c))));
        Assert.Equal(a.Merge(b).Merge(c), a.Merge(b.Merge(c)));
    }

    [Property]
    public void Merge_is_idempotent(VectorClock a, VectorClock b)
    {
        Assert.Equal(a, a.Merge(a));
        Assert.Equal(a, a.Merge(Copy(a)));
        var m = a.Merge(b);
        Assert.Equal(m, m.Merge(b));
        Assert.Equal(m, m.Merge(a));
    }

    [Property]
    public void Merge_with_empty_is_identity(VectorClock a)
    {
        Assert.Equal(a, a.Merge(VectorClock.Empty));
        Assert.Equal(a, VectorClock.Empty.Merge(a));
    }

    [Property]
    public void Increment_moves_strictly_after(VectorClock a, byte pick, byte now)
    {
        string node = Generators.Nodes[pick % Generators.Nodes.Length];
        var next = a.Increment(node, now);
        Assert.Equal(Causality.After, next.Compare(a));
        Assert.Equal(a.CounterOf(node) + 1, next.CounterOf(node));
        Assert.True(next.Covers(new Dot(node, a.CounterOf(node) + 1)));
        Assert.False(a.Covers(new Dot(node, a.CounterOf(node) + 1)));
    }

    [Property]
    public void WithEntry_never_lowers_a_counter(VectorClock a, byte pick, byte counter)
    {
        string node = Generators.Nodes[pick % Generators.Nodes.Length];
        var next = a.WithEntry(node, counter % 8, 0);
        Assert.Equal(Math.Max(a.CounterOf(node), counter % 8), next.CounterOf(node));
        Assert.True(LessOrEqual(a, next));
    }

    [Property]
    public void Entries_stay_sorted_unique_and_positive(VectorClock a, VectorClock b, byte pick, byte counter)
    {
        string node = Generators.Nodes[pick % Generators.Nodes.Length];
        foreach (var c in new[] { a.Merge(b), a.Increment(node, 1), a.WithEntry(node, counter % 8, 2), a.Prune(2) })
        {
            for (int i = 1; i < c.Count; i++) Assert.True(string.CompareOrdinal(c.Entries[i - 1].Node, c.Entries[i].Node) < 0, c.ToString());
            Assert.All(c.Entries, e => Assert.True(e.Counter > 0, $"{c} has a non-positive counter"));
        }
    }

    [Property]
    public void Prune_bounds_size_unless_keep_forbids(PruneCase p)
    {
        var pruned = p.Clock.Prune(p.MaxEntries, p.Keep);
        int keptPresent = p.Clock.Entries.Count(e => p.Keep.Contains(e.Node));
        int expected = p.Clock.Count <= p.MaxEntries ? p.Clock.Count : Math.Max(p.MaxEntries, keptPresent);
        Assert.Equal(expected, pruned.Count);
        if (keptPresent <= p.MaxEntries) Assert.True(pruned.Count <= p.MaxEntries);
    }

    [Property]
    public void Prune_never_removes_kept_nodes_and_never_changes_survivors(PruneCase p)
    {
        var pruned = p.Clock.Prune(p.MaxEntries, p.Keep);
        foreach (var e in p.Clock.Entries.Where(e => p.Keep.Contains(e.Node))) Assert.Contains(e, pruned.Entries);
        Assert.All(pruned.Entries, e => Assert.Contains(e, p.Clock.Entries));
        Assert.True(LessOrEqual(pruned, p.Clock));
    }

    [Property]
    public void Prune_removes_the_oldest_entries(PruneCase p)
    {
        var pruned = p.Clock.Prune(p.MaxEntries, p.Keep);
        var removed = p.Clock.Entries.Where(e => !pruned.Entries.Contains(e)).ToList();
        var survivingRemovable = pruned.Entries.Where(e => !p.Keep.Contains(e.Node)).ToList();
        foreach (var r in removed)
        {
            Assert.DoesNotContain(r.Node, p.Keep);
            foreach (var s in survivingRemovable)
            {
                bool olderOrTieFirst = r.TimestampMs < s.TimestampMs ||
                    (r.TimestampMs == s.TimestampMs && string.CompareOrdinal(r.Node, s.Node) < 0);
                Assert.True(olderOrTieFirst, $"removed {r} but kept newer-or-equal-order {s}");
            }
        }
    }

    [Property]
    public void Prune_without_keep_bounds_size(VectorClock a, byte max)
    {
        int m = 1 + max % 6;
        Assert.Equal(Math.Min(a.Count, m), a.Prune(m).Count);
    }

    [Fact]
    public void Prune_drops_the_oldest_by_timestamp()
    {
        var clock = VectorClock.From([new("a", 3, 50), new("b", 1, 10), new("c", 9, 30), new("d", 2, 20)]);
        var pruned = clock.Prune(2);
        Assert.Equal(["a", "c"], pruned.Entries.Select(e => e.Node));
        var kept = clock.Prune(2, new HashSet<string> { "b" });
        Assert.Equal(["a", "b"], kept.Entries.Select(e => e.Node));
    }

    [Fact]
    public void Prune_keeps_more_than_max_when_every_entry_is_kept()
    {
        var clock = VectorClock.From([new("a", 1, 1), new("b", 1, 2), new("c", 1, 3)]);
        Assert.Same(clock, clock.Prune(1, new HashSet<string> { "a", "b", "c" }));
    }

    [Fact]
    public void Prune_rejects_a_bound_below_one() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorClock.From([new("a", 1, 1), new("b", 1, 1)]).Prune(0));

    [Fact]
    public void Timestamps_do_not_order_events()
    {
        var early = VectorClock.From([new("a", 2, 100)]);
        var late = VectorClock.From([new("a", 2, 900)]);
        Assert.Equal(Causality.Equal, early.Compare(late));
        Assert.Equal(900, early.Merge(late).Entries[0].TimestampMs);
        Assert.Equal(900, late.Merge(early).Entries[0].TimestampMs);
    }

    [Fact]
    public void From_drops_non_positive_counters_and_keeps_the_larger_duplicate()
    {
        var clock = VectorClock.From([new("b", 0, 1), new("a", 2, 1), new("a", 5, 0), new("c", -3, 1)]);
        Assert.Equal([new ClockEntry("a", 5, 0)], clock.Entries.ToArray());
    }

    [Fact]
    public void WithEntry_of_a_non_positive_counter_adds_nothing()
    {
        Assert.Same(VectorClock.Empty, VectorClock.Empty.WithEntry("a", 0, 1));
        var clock = VectorClock.From([new("b", 1, 1)]);
        Assert.Same(clock, clock.WithEntry("a", -1, 1));
        Assert.Equal(clock, clock.WithEntry("a", 0, 1));
    }
}
