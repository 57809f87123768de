using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OrleansDynamo.Core.DataTypes;
using Xunit;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// The data types over random histories of one key on a few replicas (<see cref="DataTypeWorld"/>): merge is a join
/// (commutative, associative, idempotent) for every type; any order of delivery converges; every replica's value after
/// every step is the one the event model (<see cref="EventModel"/>) gives for its causal history — which is where
/// add-wins, remove-what-you-observed, re-add-after-remove, field removal, and the counter's exact sum are checked —
/// and states stay compact.
/// </summary>
[Properties(Arbitrary = [typeof(DataTypeGenerators)], MaxTest = DataTypeGenerators.MaxTest)]
public sealed class DataTypeProperties
{
    private static int[] Shuffled(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    private static void Same(DataTypeState expected, DataTypeState actual, string what) =>
        Assert.True(expected.Equals(actual), $"{what}:\n {expected}\n {actual}");

    // ---- the join ----

    [Property]
    public void Merge_is_commutative(DtTriple t)
    {
        var s = DataTypeWorld.Run(t.History).Snapshots;
        var (a, b) = (s[t.A % s.Count], s[t.B % s.Count]);
        Same(a.Merge(b), b.Merge(a), "a ⊔ b, b ⊔ a");
    }

    [Property]
    public void Merge_is_associative(DtTriple t)
    {
        var s = DataTypeWorld.Run(t.History).Snapshots;
        var (a, b, c) = (s[t.A % s.Count], s[t.B % s.Count], s[t.C % s.Count]);
        Same(a.Merge(b).Merge(c), a.Merge(b.Merge(c)), "(a ⊔ b) ⊔ c, a ⊔ (b ⊔ c)");
    }

    [Property]
    public void Merge_is_idempotent_and_an_upper_bound(DtTriple t)
    {
        var s = DataTypeWorld.Run(t.History).Snapshots;
        var (a, b) = (s[t.A % s.Count], s[t.B % s.Count]);
        Same(a, a.Merge(a), "a, a ⊔ a");
        var ab = a.Merge(b);
        Same(ab, ab.Merge(a), "a ⊔ b, (a ⊔ b) ⊔ a");
        Same(ab, ab.Merge(b), "a ⊔ b, (a ⊔ b) ⊔ b");
        Assert.True(ab.Subsumes(a) && ab.Subsumes(b), "a ⊔ b does not subsume a and b");
        Assert.Equal(a.Equals(ab), a.Subsumes(b));
    }

    // ---- semantics: every replica, after every step, against the model ----

    [Property]
    public void Every_replica_after_every_step_has_the_value_its_causal_history_gives(DtHistory history) =>
        DataTypeWorld.Run(history, (world, step) =>
        {
            for (int r = 0; r < world.Replicas.Count; r++) world.CheckReplica(r, $"after {step}");
        });

    [Property]
    public void Replicas_that_exchange_states_in_any_order_end_equal_with_every_operation_applied_once(DtHistory history, int seed)
    {
        var world = DataTypeWorld.Run(history);
        var final = world.ExchangeAll(Shuffled(history.Replicas, seed));
        foreach (var state in final) Same(final[0], state, "two replicas after exchanging everything");
        world.Check(final[0], world.AllEvents, "after the exchange");
        if (final[0] is PnCounter counter) Assert.Equal(world.IncrementsApplied, counter.Value);
        if (final[0] is OrSet set) Assert.Empty(set.Deferred);
        if (final[0] is OrMap map) Assert.Empty(map.Deferred);
    }

    [Property]
    public void The_states_operations_made_merge_to_one_state_in_any_order(DtHistory history, int seed1, int seed2)
    {
        var world = DataTypeWorld.Run(history);
        var states = world.OperationStates;
        var empty = DataTypeState.EmptyOf(history.Kind);
        var one = Shuffled(states.Count, seed1).Aggregate(empty, (acc, i) => acc.Merge(states[i]));
        var other = Shuffled(states.Count, seed2).Aggregate(empty, (acc, i) => states[i].Merge(acc));
        Same(one, other, "two delivery orders");
        Same(world.ExchangeAll(Enumerable.Range(0, history.Replicas).ToArray())[0], one, "the replicas' exchange and the operations' states");
    }

    [Property]
    public void Deltas_delivered_in_any_order_and_repeated_make_the_same_state(DtHistory history, int seed)
    {
        var world = DataTypeWorld.Run(history);
        var deltas = world.Deltas;
        var random = new Random(seed);
        var order = Enumerable.Range(0, deltas.Count).Concat(Enumerable.Range(0, deltas.Count).Where(_ => random.Next(3) == 0)).ToArray();
        random.Shuffle(order);
        var merged = order.Aggregate(DataTypeState.EmptyOf(history.Kind), (acc, i) => acc.Merge(deltas[i]));
        Same(world.ExchangeAll(Enumerable.Range(0, history.Replicas).ToArray())[0], merged, "the replicas' exchange and the deltas");
        // Deltas out of order leave gaps in a context while they last; once all are in, none is left.
        Assert.True(merged.Context.Cloud.IsEmpty, $"a dot cloud is left after every delta arrived: {merged.Context}");
    }

    [Property]
    public void A_counter_is_the_exact_sum_of_every_increment_applied_anywhere(int seed, PositiveInt steps)
    {
        var history = Gen.Sample(DataTypeGenerators.HistoryOf(DataTypeKind.Counter), 1, new Rnd((ulong)seed), Math.Min(steps.Get, 60))[0];
        var world = DataTypeWorld.Run(history);
        var final = world.ExchangeAll(Enumerable.Range(0, history.Replicas).ToArray());
        Assert.Equal(world.IncrementsApplied, ((PnCounter)final[0]).Value);
    }

    // ---- size ----

    [Property(MaxTest = 40)]
    public void A_state_stays_as_small_however_many_operations_made_it(int seed)
    {
        // 400 operations over 3 elements by 3 actors, states exchanged now and then: the context keeps one entry per
        // actor, each element at most one dot per actor, and the encoding stays the size of that.
        var random = new Random(seed);
        var replicas = new OrSet[] { OrSet.Empty, OrSet.Empty, OrSet.Empty };
        string[] elements = ["alpha", "beta", "gamma"];
        for (int i = 0; i < 400; i++)
        {
            int r = random.Next(3);
            string e = elements[random.Next(3)];
            replicas[r] = random.Next(2) == 0
                ? replicas[r].Add(DataTypeWorld.Actors[r], [e]).State
                : replicas[r].Remove([e], random.Next(2) == 0 ? null : replicas[random.Next(3)].Context).State;
            if (random.Next(4) == 0) replicas[r] = replicas[r].Merge(replicas[random.Next(3)]);
            foreach (var s in replicas)
            {
                Assert.True(s.Context.Vector.Length <= 3 && s.Context.Cloud.IsEmpty, $"context {s.Context}");
                Assert.True(s.Entries.Sum(x => x.Dots.Length) <= 9, $"store {s}");
                Assert.True(s.Deferred.Length <= 3 * 400, $"waiting removes {s.Deferred.Length}");
            }
        }
        var final = replicas.Aggregate((a, b) => a.Merge(b));
        Assert.Empty(final.Deferred);
        // 3 actors (8 bytes each), 3 vector entries, 3 elements with up to 3 dots each, and a few counts.
        int bound = 2 + 1 + 3 * 8 + 1 + 3 * 4 + 1 + 1 + 3 * (6 + 1 + 3 * 3) + 1;
        Assert.True(DataTypeCodec.Encode(final).Length <= bound, $"{DataTypeCodec.Encode(final).Length} bytes > {bound}: {final}");
    }
}
