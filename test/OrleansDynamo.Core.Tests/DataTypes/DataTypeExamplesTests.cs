using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// The documented behaviour of each type on small, named cases (the properties cover the general case): add wins,
/// removes take what their client observed, removes that observed more than their coordinator wait, concurrent
/// register values, enable-wins flags, field removal, the counter's bounds; and bad input refused with a clear message.
/// </summary>
public sealed class DataTypeExamplesTests
{
    private const string A = "silo0~1";
    private const string B = "silo1~1";
    private const string C = "silo2~1";
    private const long Max = DataTypeLimits.MaxCounter;

    private static FieldKey Counter(string name) => new(name, DataTypeKind.Counter);

    private static FieldKey Set(string name) => new(name, DataTypeKind.Set);

    private static FieldKey Register(string name) => new(name, DataTypeKind.Register);

    private static FieldKey Flag(string name) => new(name, DataTypeKind.Flag);

    private static FieldKey Map(string name) => new(name, DataTypeKind.Map);

    private static MapUpdate Update(params MapFieldOperation[] ops) => new([.. ops]);

    private static OrMap Apply(OrMap map, string actor, MapUpdate update, CausalContext? observed = null) => map.Update(actor, update, observed).State;

    private static string Refused(Action action) => Assert.Throws<DataTypeOperationException>(action).Message;

    // ---- set ----

    [Fact]
    public void An_add_the_remove_did_not_see_survives_it()
    {
        var atA = OrSet.Empty.Add(A, ["x"]).State;
        var atB = OrSet.Empty.Merge(atA);
        var removed = atB.Remove(["x"], atB.Context).State;      // a client read B, saw x (A:1), removed it
        var readded = atA.Add(A, ["x"]).State;                    // meanwhile x is added again at A (A:2)
        var merged = removed.Merge(readded);
        Assert.Equal([new Dot(A, 2)], merged.DotsOf("x").ToArray());
        Assert.Equal(merged, readded.Merge(removed));
    }

    [Fact]
    public void A_removed_element_stays_removed_until_an_add_after_the_remove()
    {
        var atA = OrSet.Empty.Add(A, ["x", "y"]).State;
        var atB = OrSet.Empty.Merge(atA);
        var removed = atB.Remove(["x"], atB.Context).State;
        Assert.Equal(["y"], removed.Merge(atA).Elements.ToArray());
        Assert.Equal(["y"], atA.Merge(removed).Merge(atA).Elements.ToArray());
        // A learns of the remove, then adds x again: that add comes after the remove and stands everywhere.
        var again = atA.Merge(removed).Add(A, ["x"]).State;
        Assert.Equal(["x", "y"], removed.Merge(again).Elements.ToArray());
        // Nothing of the removed add is kept: the context alone says it was seen.
        Assert.Equal([new Dot(A, 3)], removed.Merge(again).DotsOf("x").ToArray());
        Assert.True(removed.Merge(again).Context.Cloud.IsEmpty);
    }

    [Fact]
    public void A_remove_that_observed_more_than_its_coordinator_waits_for_the_rest()
    {
        var atA = OrSet.Empty.Add(A, ["x"]).State;
        var observed = atA.Context;                                  // the client read A
        var atB = OrSet.Empty.Remove(["x"], observed).State;        // and sent the remove to B, which has not seen x
        var waiting = Assert.Single(atB.Deferred);
        Assert.Equal("x", waiting.Element);
        Assert.False(atB.Merge(atA).Contains("x"));                 // x arrives at B and is removed at once
        Assert.Empty(atB.Merge(atA).Deferred);                      // and the remove has nothing left to wait for
        Assert.Equal(atB.Merge(atA), atA.Merge(atB));
        // An add of x the client did not see survives the waiting remove.
        var laterAdd = atA.Add(A, ["x"]).State;
        Assert.True(atB.Merge(laterAdd).Contains("x"));
    }

    [Fact]
    public void A_blind_remove_takes_what_the_coordinator_has_seen_and_an_absent_element_is_no_change()
    {
        var set = OrSet.Empty.Add(A, ["x"]).State.Merge(OrSet.Empty.Add(B, ["x"]).State);
        Assert.False(set.Remove(["x"], observed: null).State.Contains("x"));
        var unchanged = set.Remove(["nothing"], set.Context);
        Assert.Same(set, unchanged.State);
        Assert.True(unchanged.Delta.IsEmpty);
    }

    [Fact]
    public void A_delta_holds_the_operation_not_the_state()
    {
        var set = OrSet.Empty.Add(A, Enumerable.Range(0, 1000).Select(i => $"e{i}")).State;
        var update = set.Add(B, ["e7"]);
        Assert.Equal(["e7"], update.Delta.Elements.ToArray());
        Assert.Equal(CausalContext.From([new Dot(A, 8), new Dot(B, 1)]), update.Delta.Context);
        Assert.Equal(update.State, set.Merge(update.Delta));
        Assert.Equal([new Dot(B, 1)], update.State.DotsOf("e7").ToArray());
    }

    // ---- counter ----

    [Fact]
    public void A_counter_sums_every_actor_and_merges_by_maximum()
    {
        var atA = PnCounter.Empty.Increment(A, 5).State.Increment(A, -2).State;
        var atB = PnCounter.Empty.Increment(B, 10).State;
        var merged = atA.Merge(atB);
        Assert.Equal(13, merged.Value);
        Assert.Equal(merged, merged.Merge(atA).Merge(atB));
        var step = merged.Increment(A, 1);
        Assert.Equal([new PnEntry(A, 6, 2)], step.Delta.Entries.ToArray());
        Assert.Equal(14, step.State.Value);
        Assert.Same(merged, merged.Increment(A, 0).State);
    }

    [Fact]
    public void A_counter_refuses_to_pass_two_to_the_53_but_stays_exact_when_merges_do()
    {
        Assert.Equal($"counter (actor '{A}'): an increment of {Max + 1} is beyond ±{Max}", Refused(() => PnCounter.Empty.Increment(A, Max + 1)));
        Assert.Equal($"counter (actor '{A}'): an increment of {long.MinValue} is beyond ±{Max}", Refused(() => PnCounter.Empty.Increment(A, long.MinValue)));
        var top = PnCounter.Empty.Increment(A, Max).State;
        Assert.Equal(Max, top.Value);
        Assert.Equal($"counter (actor '{A}'): counter overflow, the actor's increments would total {Max + 1}, above {Max}", Refused(() => top.Increment(A, 1)));
        Assert.Equal($"counter (actor '{B}'): counter overflow, the value would be {Max + 1}, beyond ±{Max}", Refused(() => top.Increment(B, 1)));
        Assert.Equal(Max - 1, top.Increment(B, -1).State.Value);
        var bottom = PnCounter.Empty.Increment(A, -Max).State;
        Assert.Equal($"counter (actor '{B}'): counter overflow, the value would be {-Max - 1}, beyond ±{Max}", Refused(() => bottom.Increment(B, -1)));
        // Two replicas each at the bound, merged: the value is past it, exactly; it may only move back.
        var both = top.Merge(PnCounter.Empty.Increment(B, Max).State);
        Assert.Equal((Int128)Max * 2, both.Value);
        Assert.Throws<DataTypeOperationException>(() => both.Increment(C, 1));
        Assert.Equal((Int128)Max * 2 - 1, both.Increment(C, -1).State.Value);
    }

    // ---- map ----

    [Fact]
    public void Concurrent_register_values_are_kept_and_the_greatest_dot_is_read_until_a_later_write()
    {
        var atA = Apply(OrMap.Empty, A, Update(new FieldUpdate(Register("r"), new RegisterAssign([1]))));
        var atB = Apply(OrMap.Empty, B, Update(new FieldUpdate(Register("r"), new RegisterAssign([2]))));
        var both = (RegisterField)atA.Merge(atB).Get(Register("r"))!;
        Assert.Equal([[1], [2]], both.Values.Select(v => v.Value).ToArray());
        Assert.Equal([2], both.Value);                    // dots A:1 and B:1: equal counters, the greater actor
        var later = Apply(atA.Merge(atB), A, Update(new FieldUpdate(Register("r"), new RegisterAssign([3]))));
        var merged = (RegisterField)later.Merge(atA).Merge(atB).Get(Register("r"))!;
        Assert.Equal([3], Assert.Single(merged.Values).Value);
    }

    [Fact]
    public void An_enable_wins_over_a_concurrent_disable_and_a_disable_that_saw_every_enable_turns_a_flag_off()
    {
        var on = Apply(OrMap.Empty, A, Update(new FieldUpdate(Flag("f"), new FlagUpdate(true))));
        var atB = OrMap.Empty.Merge(on);
        var off = Apply(atB, B, Update(new FieldUpdate(Flag("f"), new FlagUpdate(false))), atB.Context);
        Assert.Null(off.Get(Flag("f")));
        Assert.Null(off.Merge(on).Get(Flag("f")));
        var onAgain = Apply(on, A, Update(new FieldUpdate(Flag("f"), new FlagUpdate(true))));
        Assert.True(((FlagField)off.Merge(onAgain).Get(Flag("f"))!).Enabled);
    }

    [Fact]
    public void Removing_a_field_takes_what_was_observed_in_it_and_an_unseen_update_keeps_only_itself()
    {
        var atA = Apply(OrMap.Empty, A, Update(new FieldUpdate(Map("m"), Update(new FieldUpdate(Set("s"), new SetAdd(["a"]))))));
        var atB = OrMap.Empty.Merge(atA);
        var removed = Apply(atB, B, Update(new FieldRemove(Map("m"))), atB.Context);
        Assert.True(removed.Fields.IsEmpty);
        Assert.True(removed.Merge(atA).Fields.IsEmpty);
        var concurrent = Apply(atA, A, Update(new FieldUpdate(Map("m"), Update(new FieldUpdate(Set("s"), new SetAdd(["b"]))))));
        var merged = removed.Merge(concurrent);
        Assert.Equal(["b"], ((SetField)merged.At(Map("m"), Set("s"))!).Elements.ToArray());
    }

    [Fact]
    public void A_counter_field_increment_concurrent_with_its_removal_keeps_its_actors_running_total()
    {
        // A counts 5 and C counts 7; a client reads B (which has both) and removes the field; meanwhile A counts 2 more.
        var atA = Apply(OrMap.Empty, A, Update(new FieldUpdate(Counter("x"), new CounterIncrement(5))));
        var atC = Apply(OrMap.Empty, C, Update(new FieldUpdate(Counter("x"), new CounterIncrement(7))));
        var atB = atA.Merge(atC);
        Assert.Equal(12, ((CounterField)atB.Get(Counter("x"))!).Value);
        var removed = Apply(atB, B, Update(new FieldRemove(Counter("x"))), atB.Context);
        var more = Apply(atA, A, Update(new FieldUpdate(Counter("x"), new CounterIncrement(2))));
        var merged = removed.Merge(more).Merge(atC);
        // C's observed 7 is gone; A's entry carries A's running total, 5 + 2 (riak_dt_emcntr does the same).
        Assert.Equal(7, ((CounterField)merged.Get(Counter("x"))!).Value);
        Assert.Equal(A, Assert.Single(((CounterField)merged.Get(Counter("x"))!).Entries).Actor);
    }

    [Fact]
    public void One_name_with_two_types_is_two_fields()
    {
        var map = Apply(OrMap.Empty, A, Update(
            new FieldUpdate(Counter("x"), new CounterIncrement(1)),
            new FieldUpdate(Set("x"), new SetAdd(["a"]))));
        Assert.Equal([Counter("x"), Set("x")], map.Fields.Select(f => f.Key).ToArray());
        var removed = Apply(map, A, Update(new FieldRemove(Set("x"))));
        Assert.Equal([Counter("x")], removed.Fields.Select(f => f.Key).ToArray());
    }

    [Fact]
    public void Field_operations_apply_in_order()
    {
        var map = Apply(OrMap.Empty, A, Update(
            new FieldUpdate(Counter("n"), new CounterIncrement(2)),
            new FieldUpdate(Counter("n"), new CounterIncrement(3)),
            new FieldUpdate(Set("s"), new SetAdd(["a"])),
            new FieldRemove(Set("s")),
            new FieldUpdate(Set("s"), new SetAdd(["b"]))));
        Assert.Equal(5, ((CounterField)map.Get(Counter("n"))!).Value);
        Assert.Equal(["b"], ((SetField)map.Get(Set("s"))!).Elements.ToArray());
    }

    // ---- bad input ----

    private static MapUpdate Nested(int depth) =>
        depth == 1 ? Update(new FieldUpdate(Counter("n"), new CounterIncrement(1))) : Update(new FieldUpdate(Map("m"), Nested(depth - 1)));

    [Fact]
    public void Bad_operations_are_refused_naming_the_field_or_element()
    {
        var map = Apply(OrMap.Empty, A, Update(new FieldUpdate(Counter("x"), new CounterIncrement(1))));
        Assert.Equal("map field 'x'(counter): the field is a counter; a set operation (add [a]) cannot change its type",
            Refused(() => map.Update(A, Update(new FieldUpdate(Counter("x"), new SetAdd(["a"]))), null)));
        Assert.Equal("map update: field 'x' has unknown type 9",
            Refused(() => map.Update(A, Update(new FieldUpdate(new FieldKey("x", (DataTypeKind)9), new CounterIncrement(1))), null)));
        string longName = new('n', DataTypeLimits.MaxFieldNameBytes + 1);
        Assert.Equal($"map update: field name '{longName[..32]}…' is 257 UTF-8 bytes; the limit is 256",
            Refused(() => map.Update(A, Update(new FieldRemove(Counter(longName))), null)));
        Assert.Equal("map update: a field name must not be empty", Refused(() => map.Update(A, Update(new FieldRemove(Counter(""))), null)));
        string longElement = new('e', DataTypeLimits.MaxElementBytes + 1);
        Assert.Equal($"set add: set element '{longElement[..32]}…' is 1025 UTF-8 bytes; the limit is 1024", Refused(() => OrSet.Empty.Add(A, [longElement])));
        Assert.Equal("map field 's'(set): set element '\ud800' is not valid Unicode (a lone surrogate)",
            Refused(() => map.Update(A, Update(new FieldUpdate(Set("s"), new SetAdd(["\ud800"]))), null)));
        Assert.Equal("set add carries 1001 elements and field operations; the limit is 1000",
            Refused(() => OrSet.Empty.Add(A, Enumerable.Range(0, 1001).Select(i => $"e{i}"))));
        Assert.Equal("map update carries 1002 elements and field operations; the limit is 1000",
            Refused(() => map.Update(A, Update(new FieldUpdate(Set("s"), new SetAdd([.. Enumerable.Range(0, 1001).Select(i => $"e{i}")]))), null)));
        Assert.Equal($"map field 'r'(register): the value is {DataTypeLimits.MaxRegisterBytes + 1} bytes; the limit is {DataTypeLimits.MaxRegisterBytes}",
            Refused(() => map.Update(A, Update(new FieldUpdate(Register("r"), new RegisterAssign(new byte[DataTypeLimits.MaxRegisterBytes + 1]))), null)));
        Assert.Equal($"map field 'x'(counter): counter overflow, the value would be {Max + 1}, beyond ±{Max}",
            Refused(() => map.Update(B, Update(new FieldUpdate(Counter("x"), new CounterIncrement(Max))), null)));
        Assert.Equal("an actor name must not be empty", Refused(() => OrSet.Empty.Add("", ["a"])));
        Assert.Equal($"actor name '{new string('a', 32)}…' is 257 UTF-8 bytes; the limit is 256", Refused(() => PnCounter.Empty.Increment(new string('a', 257), 1)));
    }

    [Fact]
    public void Maps_nest_eight_deep_and_no_deeper()
    {
        var deepest = Apply(OrMap.Empty, A, Nested(DataTypeLimits.MaxMapDepth));
        Assert.NotNull(deepest.At([.. Enumerable.Repeat(Map("m"), DataTypeLimits.MaxMapDepth - 1), Counter("n")]));
        Assert.Equal(deepest, DataTypeCodec.Decode(DataTypeCodec.Encode(deepest)));
        Assert.EndsWith($"maps nest at most {DataTypeLimits.MaxMapDepth} deep", Refused(() => OrMap.Empty.Update(A, Nested(DataTypeLimits.MaxMapDepth + 1), null)));
    }

    [Fact]
    public void A_refused_update_changes_nothing()
    {
        var map = Apply(OrMap.Empty, A, Update(new FieldUpdate(Counter("x"), new CounterIncrement(1))));
        var bytes = DataTypeCodec.Encode(map);
        Refused(() => map.Update(A, Update(
            new FieldUpdate(Counter("y"), new CounterIncrement(1)),
            new FieldUpdate(Counter("x"), new CounterIncrement(Max))), null));
        Assert.Equal(bytes, DataTypeCodec.Encode(map));
    }

    [Fact]
    public void Operations_of_one_type_do_not_apply_to_another()
    {
        Assert.Equal("a set operation (add [a]) does not apply to a counter", Refused(() => PnCounter.Empty.Apply(new SetAdd(["a"]), A)));
        Assert.Equal("a counter operation (increment 1) does not apply to a map", Refused(() => OrMap.Empty.Apply(new CounterIncrement(1), A)));
        Assert.Equal("a bucket's value cannot be a register: only counters, sets and maps", Refused(() => DataTypeState.EmptyOf(DataTypeKind.Register)));
        Assert.Throws<ArgumentException>(() => OrSet.Empty.Merge((DataTypeState)PnCounter.Empty));
        Assert.Equal("a set operation needs a list of elements", Refused(() => OrSet.Empty.Apply(new SetAdd(default), A)));
        Assert.Equal("map field 's'(set): a set operation needs a list of elements",
            Refused(() => OrMap.Empty.Apply(Update(new FieldUpdate(Set("s"), new SetRemove(default))), A)));
        Assert.Equal("map update: a map update needs a list of field operations", Refused(() => OrMap.Empty.Apply(new MapUpdate(default), A)));
        var set = (OrSet)DataTypeState.EmptyOf(DataTypeKind.Set).Apply(new SetAdd(["a"]), A).State;
        Assert.Equal(["a"], set.Elements.ToArray());
    }

    [Fact]
    public void Type_names_read_back_and_only_counters_sets_and_maps_are_a_buckets_type()
    {
        foreach (var kind in Enum.GetValues<DataTypeKind>())
        {
            Assert.Equal(kind, DataTypeNames.Parse(DataTypeNames.Of(kind).ToUpperInvariant()));
            Assert.Equal(kind is DataTypeKind.Counter or DataTypeKind.Set or DataTypeKind.Map, DataTypeNames.IsTopLevel(kind));
        }
        Assert.Null(DataTypeNames.Parse("hyperloglog"));
        Assert.Equal("unknown type 9", DataTypeNames.Of((DataTypeKind)9));
    }

    [Fact]
    public void An_actor_with_every_dot_used_is_refused_before_anything_changes()
    {
        // A set and a map whose context has seen A's dots up to 2^53 (hand-encoded: no test makes 2^53 operations).
        string max = Convert.ToHexString(EncodeVarint((ulong)Max));
        string head = "01" + "07" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(A)) + "01" + "00" + max + "00";
        var set = (OrSet)DataTypeCodec.Decode(Convert.FromHexString("0102" + head + "00" + "00"));
        var map = (OrMap)DataTypeCodec.Decode(Convert.FromHexString("0103" + head + "00" + "00"));
        Assert.Throws<VersionCounterOverflowException>(() => set.Context.NextDot(A));
        Assert.Throws<VersionCounterOverflowException>(() => set.Add(A, ["x"]));
        Assert.Throws<VersionCounterOverflowException>(() => map.Update(A, Update(new FieldUpdate(Flag("f"), new FlagUpdate(true))), null));
        Assert.True(set.Add(B, ["x"]).State.Contains("x"));       // another actor (a silo's next dot epoch) goes on
    }

    private static byte[] EncodeVarint(ulong v)
    {
        var bytes = new List<byte>();
        for (; v >= 0x80; v >>= 7) bytes.Add((byte)(v | 0x80));
        bytes.Add((byte)v);
        return [.. bytes];
    }
}
