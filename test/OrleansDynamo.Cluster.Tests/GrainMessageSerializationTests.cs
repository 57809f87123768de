using System.Collections.Immutable;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Silo-to-silo messages and failures survive Orleans' serializer whole (the core's types travel as surrogates).</summary>
public sealed class GrainMessageSerializationTests
{
    private readonly Serializer _serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(SiloRuntime).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    private T RoundTrip<T>(T value) => _serializer.Deserialize<T>(_serializer.SerializeToArray(value))!;

    [Theory]
    [InlineData(DynamoErrorKind.InvalidArgument)]
    [InlineData(DynamoErrorKind.NotFound)]
    [InlineData(DynamoErrorKind.FailedPrecondition)]
    [InlineData(DynamoErrorKind.Unavailable)]
    public void A_dynamo_exception_keeps_its_kind_and_message(DynamoErrorKind kind)
    {
        Exception back = RoundTrip<Exception>(new DynamoException(kind, "silo2 refused: another cluster"));
        var e = Assert.IsType<DynamoException>(back);
        Assert.Equal(kind, e.Kind);
        Assert.Equal("silo2 refused: another cluster", e.Message);
    }

    [Fact]
    public void A_replica_write_keeps_its_key_sibling_set_policy_and_hint()
    {
        var clock = VectorClock.Empty.Increment("silo0", 1700000000000);
        var set = SiblingSet.Create(clock, [new Sibling(new Dot("silo0", 1), Encoding.UTF8.GetBytes("[book]"), false, 1700000000000)]);
        var write = new ReplicaWrite(7, new DynamoKey("carts", "alice"), set, ConflictPolicy.LastWriteWins, "silo3", "silo0");
        var back = RoundTrip(write);
        Assert.Equal(write.Partition, back.Partition);
        Assert.Equal(write.Key, back.Key);
        Assert.Equal(write.Siblings, back.Siblings);
        Assert.Equal(ConflictPolicy.LastWriteWins, back.Policy);
        Assert.Equal("silo3", back.HintFor);
        Assert.Equal("silo0", back.FromSilo);
        Assert.False(back.AckOnly);
        Assert.True(RoundTrip(write with { AckOnly = true }).AckOnly);
        Assert.Null(RoundTrip(new ReplicaWriteResult(null)).Stored);
        Assert.Equal(set, RoundTrip(new ReplicaWriteResult(set)).Stored);
    }

    [Fact]
    public void Content_types_cross_silos_on_a_forwarded_put_a_replica_write_and_a_get_answer()
    {
        var put = RoundTrip(new PutCommand("default", "cart", Encoding.UTF8.GetBytes("[]"), null, Hops: 1, ContentType: "application/json"));
        Assert.Equal(("application/json", 1), (put.ContentType, put.Hops));
        Assert.Null(RoundTrip(new PutCommand("default", "cart", [], null, Delete: true)).ContentType);

        var set = SiblingSet.Empty.Update(VectorClock.Empty, "silo0", Encoding.UTF8.GetBytes("[book]"), false, 1700000000000, "application/json")
            .Merge(SiblingSet.Empty.Update(VectorClock.Empty, "silo1", Encoding.UTF8.GetBytes("pen"), false, 1700000000001));
        var write = RoundTrip(new ReplicaWrite(7, new DynamoKey("carts", "alice"), set, ConflictPolicy.Siblings, null, "silo0"));
        Assert.Equal(set, write.Siblings);
        Assert.Equal(["application/json", null], write.Siblings.Siblings.Select(s => s.ContentType));

        var got = RoundTrip(new GetOutcome(true, set.Siblings, set.Context, 2, "silo0"));
        Assert.Equal(set.Siblings.ToArray(), got.Siblings.ToArray());
        Assert.Equal(["application/json", null], got.Siblings.Select(s => s.ContentType));
    }

    [Fact]
    public void A_typed_replica_write_and_a_forwarded_update_keep_their_state_operation_and_policy()
    {
        var state = OrSet.Empty.Add("silo0~2", ["book", "lamp"]).State;
        var write = RoundTrip(new ReplicaWrite(7, new DynamoKey("carts", "alice"), TypedValue.Wrap(state), ConflictPolicy.Set, null, "silo0"));
        Assert.Equal(ConflictPolicy.Set, write.Policy);
        Assert.Equal(state, TypedValue.Unwrap(write.Siblings, DataTypeKind.Set));
        var op = new MapUpdate([new FieldUpdate(new FieldKey("visits", DataTypeKind.Counter), new CounterIncrement(-3)), new FieldRemove(new FieldKey("tags", DataTypeKind.Set))]);
        var update = RoundTrip(new UpdateCommand("profiles", "ada", DataTypeOperationCodec.Encode(op), "AQ==", W: 2, Hops: 1));
        Assert.Equal(op.ToString(), DataTypeOperationCodec.Decode(update.Operation).ToString());
        Assert.Equal(("profiles", "ada", "AQ==", 2, 1), (update.Bucket, update.Key, update.Context, update.W, update.Hops));
        Assert.Null(RoundTrip(new UpdateCommand("carts", "alice", null, null)).Operation);
    }

    [Fact]
    public void An_anti_entropy_answer_keeps_its_key_hashes_and_digests()
    {
        var keys = new List<(KeyHash, ulong)> { (new DynamoKey("default", "a").Hash, 42UL), (new DynamoKey("default", "b").Hash, ulong.MaxValue) };
        var back = RoundTrip(new SegmentKeysAnswer(true, keys));
        Assert.True(back.Ready);
        Assert.Equal(keys, back.Keys);
        var query = RoundTrip(new MerkleHashesQuery(new TreeRef(new TreeId(3, 3), 16, 3), 1, ImmutableArray.Create(0, 5), "silo1"));
        Assert.Equal(new TreeRef(new TreeId(3, 3), 16, 3), query.Tree);
        Assert.Equal([0, 5], query.Parents.ToArray());
    }
}
