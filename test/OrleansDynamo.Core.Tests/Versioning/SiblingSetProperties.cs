using FsCheck;
using FsCheck.Xunit;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>
/// Dotted-version-vector-set invariants of <see cref="SiblingSet"/>, over random multi-replica histories
/// (<see cref="ReplicaWorld"/>) checked against a model of acknowledged writes and their client contexts.
/// </summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = Generators.MaxTest)]
public class SiblingSetProperties
{
    private static readonly byte[] V1 = [1];
    private static readonly byte[] V2 = [2];
    private static readonly byte[] V3 = [3];

    private static SiblingSet Pick(ReplicaWorld world, NonNegativeInt i) => world.Snapshots[i.Get % world.Snapshots.Count];

    private static int[] Shuffled(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    // ---- the model: no lost write, no causally ordered siblings ----

    [Property]
    public void Every_replica_after_every_step_holds_exactly_the_maximal_writes(History history) =>
        ReplicaWorld.Run(history, ClientMode.Free, (world, op) =>
        {
            for (int r = 0; r < world.Replicas.Count; r++) world.CheckAgainstModel(world.Replicas[r], $"after {op}, replica {r}");
        });

    [Property]
    public void No_acknowledged_write_is_lost(History history, int seed)
    {
        var world = ReplicaWorld.Run(history);
        var final = world.MergeAll(Shuffled(history.Replicas, seed));
        var present = final.Siblings.Select(s => s.Dot).ToHashSet();
        foreach (var w in world.Writes)
        {
            var coveredBy = world.Writes.Where(later => later.Id > w.Id && later.ClientContext.Covers(w.Dot)).ToList();
            Assert.True(present.Contains(w.Dot) || coveredBy.Count > 0,
                $"write {w.Id} ({w.Dot}) is neither in {final} nor covered by a later put's context");
            if (present.Contains(w.Dot))
                Assert.Equal(w.Value, final.Siblings.Single(s => s.Dot == w.Dot).Value);
        }
        world.CheckAgainstModel(final, "final merge");
    }

    [Property]
    public void Siblings_are_never_causally_ordered(History history, int seed)
    {
        var world = ReplicaWorld.Run(history);
        var sets = world.Replicas.Append(world.MergeAll(Shuffled(history.Replicas, seed)));
        foreach (var set in sets)
        {
            foreach (var s1 in set.Siblings)
            {
                foreach (var s2 in set.Siblings)
                {
                    if (s1.Dot == s2.Dot) continue;
                    Assert.False(world.WriteOf(s2.Dot).ClientContext.Covers(s1.Dot),
                        $"sibling {s2.Dot} was written with a context covering sibling {s1.Dot} in {set}");
                }
            }
        }
    }

    [Property]
    public void Final_merge_does_not_depend_on_merge_order(History history, int seed1, int seed2)
    {
        var world = ReplicaWorld.Run(history);
        Assert.Equal(world.MergeAll(Shuffled(history.Replicas, seed1)), world.MergeAll(Shuffled(history.Replicas, seed2)));
    }

    [Property]
    public void Every_set_is_well_formed(History history)
    {
        var world = ReplicaWorld.Run(history);
        foreach (var set in world.Snapshots)
        {
            Assert.All(set.Siblings, s => Assert.True(set.Context.Covers(s.Dot), $"{s.Dot} not covered by {set.Context}"));
            Assert.Equal(set.Siblings.Length, set.Siblings.Select(s => s.Dot).Distinct().Count());
            var canonical = set.Siblings.OrderBy(s => s.Dot.Node, StringComparer.Ordinal).ThenBy(s => s.Dot.Counter);
            Assert.True(canonical.SequenceEqual(set.Siblings), $"{set} is not in canonical order");
            Assert.Equal(set.Siblings.All(s => s.Tombstone), set.IsDeleted);
        }
    }

    // ---- sibling count bounded by concurrent writers, not retries ----

    [Property]
    public void Sibling_count_is_bounded_by_session_writers(History history, int seed)
    {
        int writers = 0;
        var world = ReplicaWorld.Run(history, ClientMode.Session, (w, op) =>
        {
            writers = w.Writes.Select(x => x.Client).Distinct().Count();
            foreach (var set in w.Replicas)
                Assert.True(set.Siblings.Length <= writers, $"after {op}: {set.Siblings.Length} siblings with {writers} writers: {set}");
        });
        var final = world.MergeAll(Shuffled(history.Replicas, seed));
        Assert.True(final.Siblings.Length <= writers, $"final {final} has more siblings than the {writers} writers");
        if (writers > 0) Assert.NotEmpty(final.Siblings);
    }

    [Property]
    public void One_read_then_write_writer_keeps_one_sibling(History history, int seed)
    {
        var single = history with { Clients = 1, Ops = [.. history.Ops.Select(ToClientZero)] };
        var world = ReplicaWorld.Run(single, ClientMode.Session, (w, op) =>
        {
            foreach (var set in w.Replicas) Assert.True(set.Siblings.Length <= 1, $"after {op}: {set}");
        });
        var final = world.MergeAll(Shuffled(history.Replicas, seed));
        if (world.Writes.Count > 0)
        {
            var only = Assert.Single(final.Siblings);
            Assert.Equal(world.Writes[^1].Dot, only.Dot);
        }
    }

    private static HistoryOp ToClientZero(HistoryOp op) => op switch
    {
        PutOp p => p with { Client = 0 },
        GetOp g => g with { Client = 0 },
        _ => op,
    };

    [Property]
    public void Redelivering_a_set_never_grows_siblings(History history, NonNegativeInt i, NonNegativeInt j, byte times)
    {
        var world = ReplicaWorld.Run(history);
        var a = Pick(world, i);
        var b = Pick(world, j);
        var once = a.Merge(b);
        var again = once;
        for (int k = 0; k < 1 + times % 5; k++) again = again.Merge(b).Merge(a);
        Assert.Equal(once, again);
        Assert.Equal(once, b.Merge(once));
    }

    // ---- merge laws ----

    [Property]
    public void Merge_is_commutative(History history, NonNegativeInt i, NonNegativeInt j)
    {
        var world = ReplicaWorld.Run(history);
        var a = Pick(world, i);
        var b = Pick(world, j);
        Assert.Equal(a.Merge(b), b.Merge(a));
    }

    [Property]
    public void Merge_is_associative(History history, NonNegativeInt i, NonNegativeInt j, NonNegativeInt k)
    {
        var world = ReplicaWorld.Run(history);
        var a = Pick(world, i);
        var b = Pick(world, j);
        var c = Pick(world, k);
        Assert.Equal(a.Merge(b).Merge(c), a.Merge(b.Merge(c)));
    }

    [Property]
    public void Merge_is_idempotent(History history, NonNegativeInt i)
    {
        var world = ReplicaWorld.Run(history);
        var a = Pick(world, i);
        Assert.Equal(a, a.Merge(a));
        Assert.Equal(a, a.Merge(VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(a))));
        Assert.Equal(a, a.Merge(SiblingSet.Empty));
        Assert.Equal(a, SiblingSet.Empty.Merge(a));
    }

    [Property]
    public void Merge_matches_the_model_and_subsumes_both_sides(History history, NonNegativeInt i, NonNegativeInt j)
    {
        var world = ReplicaWorld.Run(history);
        var a = Pick(world, i);
        var b = Pick(world, j);
        var m = a.Merge(b);
        world.CheckAgainstModel(m, $"{a} ⊔ {b}");
        Assert.True(m.Subsumes(a));
        Assert.True(m.Subsumes(b));
        Assert.Equal(Causality.Equal, m.Context.Compare(a.Context.Merge(b.Context)));
    }

    // ---- the coordinator's step ----

    [Property]
    public void Two_puts_with_one_context_through_one_coordinator_both_survive(History history, NonNegativeInt i, NonNegativeInt j, byte coord)
    {
        var world = ReplicaWorld.Run(history);
        var set = Pick(world, i);
        var context = Pick(world, j).Context;
        string node = ReplicaWorld.ReplicaNames[coord % ReplicaWorld.ReplicaNames.Length];
        var first = set.Update(context, node, V1, false, 5);
        var second = first.Update(context, node, V2, false, 5);
        var firstDot = first.Siblings.Single(s => s.Value.SequenceEqual(V1)).Dot;
        var secondDot = second.Siblings.Single(s => s.Value.SequenceEqual(V2)).Dot;
        Assert.NotEqual(firstDot, secondDot);
        Assert.Contains(second.Siblings, s => s.Dot == firstDot);
        Assert.Equal(first.Siblings.Length + 1, second.Siblings.Length);
    }

    [Property]
    public void A_put_whose_context_covers_every_sibling_replaces_them(History history, NonNegativeInt i, byte coord, bool tombstone)
    {
        var world = ReplicaWorld.Run(history);
        var set = Pick(world, i);
        string node = ReplicaWorld.ReplicaNames[coord % ReplicaWorld.ReplicaNames.Length];
        var next = set.Update(set.Context, node, V3, tombstone, 7);
        var only = Assert.Single(next.Siblings);
        Assert.Equal(V3, only.Value);
        Assert.Equal(tombstone, next.IsDeleted);
        Assert.Equal(Causality.After, next.Context.Compare(set.Context));
    }

    [Property]
    public void A_blind_put_becomes_a_sibling_and_overwrites_nothing(History history, NonNegativeInt i, byte coord)
    {
        var world = ReplicaWorld.Run(history);
        var set = Pick(world, i);
        string node = ReplicaWorld.ReplicaNames[coord % ReplicaWorld.ReplicaNames.Length];
        var next = set.Update(VectorClock.Empty, node, V3, false, 7);
        Assert.Equal(set.Siblings.Length + 1, next.Siblings.Length);
        Assert.All(set.Siblings, s => Assert.Contains(s, next.Siblings));
        Assert.False(next.IsDeleted);
    }

    [Property]
    public void A_put_drops_exactly_the_siblings_its_context_covers(History history, NonNegativeInt i, NonNegativeInt j, byte coord)
    {
        var world = ReplicaWorld.Run(history);
        var set = Pick(world, i);
        var context = Pick(world, j).Context;
        string node = ReplicaWorld.ReplicaNames[coord % ReplicaWorld.ReplicaNames.Length];
        var next = set.Update(context, node, V3, false, 7);
        var expected = set.Siblings.Where(s => !context.Covers(s.Dot)).Select(s => s.Dot).ToHashSet();
        var newDot = new Dot(node, Math.Max(set.Context.CounterOf(node), context.CounterOf(node)) + 1);
        expected.Add(newDot);
        Assert.Equal(expected.OrderBy(d => d.Node, StringComparer.Ordinal).ThenBy(d => d.Counter), next.Siblings.Select(s => s.Dot));
        Assert.False(set.Context.Covers(newDot) && context.Covers(newDot), "the new dot must be fresh");
    }

    // ---- last write wins ----

    [Property]
    public void Last_write_wins_keeps_exactly_the_newest_sibling(History history, NonNegativeInt i)
    {
        var world = ReplicaWorld.Run(history);
        var set = Pick(world, i);
        var resolved = set.ResolveLastWriteWins();
        Assert.Equal(Causality.Equal, resolved.Context.Compare(set.Context));
        if (set.Siblings.IsEmpty)
        {
            Assert.Empty(resolved.Siblings);
            return;
        }
        var winner = Assert.Single(resolved.Siblings);
        var expected = set.Siblings
            .OrderByDescending(s => s.TimestampMs)
            .ThenByDescending(s => s.Dot.Node, StringComparer.Ordinal)
            .ThenByDescending(s => s.Dot.Counter)
            .First();
        Assert.Equal(expected, winner);
        Assert.All(set.Siblings, s => Assert.True(s.TimestampMs <= winner.TimestampMs));
        Assert.Equal(resolved, resolved.ResolveLastWriteWins());
    }

    [Property]
    public void Last_write_wins_is_deterministic_across_replicas(History history, NonNegativeInt i, NonNegativeInt j)
    {
        var world = ReplicaWorld.Run(history);
        var a = Pick(world, i);
        var b = Pick(world, j);
        Assert.Equal(a.Merge(b).ResolveLastWriteWins(), b.Merge(a).ResolveLastWriteWins());
    }

    [Fact]
    public void Last_write_wins_breaks_timestamp_ties_by_node_then_counter()
    {
        var set = SiblingSet.Empty
            .Update(VectorClock.Empty, "a", V1, false, 100)
            .Update(VectorClock.Empty, "c", V2, false, 100)
            .Update(VectorClock.Empty, "b", V3, false, 100)
            .Update(VectorClock.Empty, "a", [4], false, 50);
        Assert.Equal(4, set.Siblings.Length);
        Assert.Equal(new Dot("c", 1), Assert.Single(set.ResolveLastWriteWins().Siblings).Dot);

        var sameNode = SiblingSet.Empty
            .Update(VectorClock.Empty, "a", V1, false, 100)
            .Update(VectorClock.Empty, "a", V2, false, 100);
        Assert.Equal(new Dot("a", 2), Assert.Single(sameNode.ResolveLastWriteWins().Siblings).Dot);
    }

    [Fact]
    public void Last_write_wins_keeps_the_winners_content_type()
    {
        var older = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 100, "application/json");
        var newer = SiblingSet.Empty.Update(VectorClock.Empty, "b", V2, false, 200, "image/png");
        var winner = Assert.Single(older.Merge(newer).ResolveLastWriteWins().Siblings);
        Assert.Equal((new Dot("b", 1), "image/png"), (winner.Dot, winner.ContentType));
        var untypedWins = older.Merge(SiblingSet.Empty.Update(VectorClock.Empty, "c", V3, false, 300));
        Assert.Null(Assert.Single(untypedWins.ResolveLastWriteWins().Siblings).ContentType);
    }

    // ---- scenarios ----

    [Fact]
    public void Siblings_keep_their_own_content_types_through_merges_and_a_covering_put_sets_its_own()
    {
        var a = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1, "application/json");
        var b = SiblingSet.Empty.Update(VectorClock.Empty, "b", V2, false, 1, "text/plain");
        var c = SiblingSet.Empty.Update(VectorClock.Empty, "c", V3, false, 1);
        var merged = a.Merge(b).Merge(c);
        Assert.Equal(merged, c.Merge(b).Merge(a));
        Assert.Equal(["application/json", "text/plain", null], merged.Siblings.Select(s => s.ContentType));
        var resolved = merged.Update(merged.Context, "a", [9], false, 2, "application/xml");
        Assert.Equal("application/xml", Assert.Single(resolved.Siblings).ContentType);
        Assert.Equal(resolved, resolved.Merge(a).Merge(b).Merge(c));
        var deleted = resolved.Update(resolved.Context, "b", [], true, 3);
        Assert.Null(Assert.Single(deleted.Siblings).ContentType);
    }

    [Fact]
    public void Two_siblings_differing_only_in_content_type_are_not_equal()
    {
        var json = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1, "application/json");
        var none = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1);
        Assert.NotEqual(json, none);
        Assert.NotEqual(json.Siblings[0], none.Siblings[0]);
    }

    [Fact]
    public void Same_context_same_coordinator_puts_are_siblings()
    {
        var v1 = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1);
        var ctx = v1.Context;
        var s = v1.Update(ctx, "a", V2, false, 2).Update(ctx, "a", V3, false, 3);
        Assert.Equal([new Dot("a", 2), new Dot("a", 3)], s.Siblings.Select(x => x.Dot));
        var resolved = s.Update(s.Context, "a", [9], false, 4);
        Assert.Equal(new Dot("a", 4), Assert.Single(resolved.Siblings).Dot);
    }

    [Fact]
    public void Concurrent_puts_on_two_replicas_meet_as_siblings_and_a_covering_put_resolves_them()
    {
        var a = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1);
        var b = SiblingSet.Empty.Update(VectorClock.Empty, "b", V2, false, 1);
        var merged = a.Merge(b);
        Assert.Equal(2, merged.Siblings.Length);
        var c = merged.Update(merged.Context, "c", V3, false, 2);
        Assert.Single(c.Siblings);
        // stale replicas merged back in do not resurrect the replaced siblings
        Assert.Equal(c, c.Merge(a).Merge(b).Merge(merged));
    }

    [Fact]
    public void Delete_with_context_then_merge_keeps_the_key_deleted()
    {
        var a = SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1);
        var deleted = a.Update(a.Context, "b", [], true, 2);
        Assert.True(deleted.IsDeleted);
        Assert.True(deleted.Merge(a).IsDeleted);
        Assert.True(a.Merge(deleted).IsDeleted);
        Assert.False(SiblingSet.Empty.Update(VectorClock.Empty, "a", V1, false, 1).IsDeleted);
        Assert.True(SiblingSet.Empty.IsDeleted);
    }

    [Fact]
    public void Create_rejects_uncovered_and_duplicate_dots()
    {
        var ctx = VectorClock.From([new("a", 2, 0)]);
        Assert.Throws<ArgumentException>(() => SiblingSet.Create(ctx, [new Sibling(new Dot("a", 3), V1, false, 0)]));
        Assert.Throws<ArgumentException>(() => SiblingSet.Create(ctx, [new Sibling(new Dot("a", 1), V1, false, 0), new Sibling(new Dot("a", 1), V2, false, 0)]));
    }

    [Fact]
    public void Prune_keeps_every_live_siblings_node()
    {
        var s = SiblingSet.Empty;
        long t = 0;
        foreach (var n in new[] { "a", "b", "c", "d", "e" }) s = s.Update(s.Context, n, V1, false, t++);
        s = s.Update(VectorClock.Empty, "a", V2, false, t++);
        var pruned = s.Prune(2);
        Assert.Equal(s.Siblings, pruned.Siblings);
        Assert.All(pruned.Siblings, x => Assert.True(pruned.Context.Covers(x.Dot)));
        Assert.True(pruned.Context.Count <= 2);
    }
}
