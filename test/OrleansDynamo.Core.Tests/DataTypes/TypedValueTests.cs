using FsCheck;
using FsCheck.Xunit;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// How typed values ride in sibling sets (<see cref="TypedValue"/>) and merge through the one hook every replica path
/// shares (<see cref="ConflictPolicies.Merge"/>); the operation codec that forwarded updates use.
/// </summary>
[Properties(Arbitrary = [typeof(DataTypeGenerators)], MaxTest = DataTypeGenerators.MaxTest)]
public sealed class TypedValueTests
{
    [Property]
    public void Merging_wrapped_states_through_the_policy_is_the_states_merge_and_equal_states_are_equal_bytes(DtHistory history, NonNegativeInt a, NonNegativeInt b)
    {
        var states = DataTypeWorld.Run(history).Snapshots;
        var x = states[a.Get % states.Count];
        var y = states[b.Get % states.Count];
        var policy = ConflictPolicies.Of(history.Kind);
        var merged = policy.Merge(TypedValue.Wrap(x), TypedValue.Wrap(y));
        Assert.Equal(TypedValue.Wrap(x.Merge(y)), merged);
        Assert.Equal(merged, policy.Merge(TypedValue.Wrap(y), TypedValue.Wrap(x)));
        Assert.Equal(TypedValue.Wrap(x), policy.Merge(TypedValue.Wrap(x), SiblingSet.Empty));
        Assert.Equal(TypedValue.Wrap(y), policy.Merge(SiblingSet.Empty, TypedValue.Wrap(y)));
        Assert.True(policy.Subsumes(merged, TypedValue.Wrap(x)));
        Assert.Equal(x.Subsumes(y), policy.Subsumes(TypedValue.Wrap(x), TypedValue.Wrap(y)));
    }

    [Property]
    public void Every_operation_round_trips_through_the_operation_codec(DtHistory history)
    {
        foreach (var op in history.Steps.OfType<DtOp>().Select(s => s.Operation))
        {
            var bytes = DataTypeOperationCodec.Encode(op);
            var back = DataTypeOperationCodec.Decode(bytes);
            Assert.Equal(bytes, DataTypeOperationCodec.Encode(back));
            Assert.Equal(op.ToString(), back.ToString());
        }
    }

    [Fact]
    public void A_set_that_is_not_one_state_of_the_bucket_type_is_refused_and_a_cut_operation_does_not_decode()
    {
        var kv = SiblingSet.Empty.Update(VectorClock.Empty, "silo0", [1, 2], false, 0);
        Assert.Throws<VersionFormatException>(() => ConflictPolicy.Counter.Merge(TypedValue.Wrap(PnCounter.Empty.Increment("a", 1).State), kv));
        Assert.Throws<VersionFormatException>(() => TypedValue.Unwrap(TypedValue.Wrap(OrSet.Empty), DataTypeKind.Counter));
        var bytes = DataTypeOperationCodec.Encode(new SetAdd(["book", "lamp"]));
        Assert.Throws<VersionFormatException>(() => DataTypeOperationCodec.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<VersionFormatException>(() => DataTypeOperationCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void A_delete_removes_every_member_or_field_it_saw_and_a_counter_cannot_be_deleted()
    {
        var set = OrSet.Empty.Add("a", ["x", "y"]).State;
        var seen = set.Context;
        var concurrent = set.Add("b", ["z"]).State;
        var deleted = concurrent.Apply(TypedValue.DeleteOf(concurrent), "a", seen).State;
        Assert.Equal(["z"], ((OrSet)deleted).Elements.ToArray());
        Assert.False(TypedValue.HasValue(set.Apply(TypedValue.DeleteOf(set), "a", seen).State));
        Assert.True(TypedValue.Touched(set, "a"));
        Assert.False(TypedValue.Touched(set, "b"));
        Assert.Throws<DataTypeOperationException>(() => TypedValue.DeleteOf(PnCounter.Empty.Increment("a", 2).State));
    }
}
