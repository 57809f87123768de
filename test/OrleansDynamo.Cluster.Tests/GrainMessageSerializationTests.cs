using System.Collections.Immutable;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using System.Buffers;
using Orleans;
using Orleans.Serialization;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Serialization;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Silo-to-silo messages and failures survive Orleans' serializer whole (the core's types travel as surrogates).</summary>
public sealed class GrainMessageSerializationTests
{
    private readonly Serializer _serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(SiloRuntime).Assembly).AddAssembly(typeof(GrainMessageSerializationTests).Assembly))
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

    public static TheoryData<string> SetsOnTheWire => ["plain", "typed", "medium", "large", "empty"];

    private static SiblingSet SetFor(string shape) => shape switch
    {
        "plain" => SiblingSet.Empty.Update(VectorClock.Empty, "silo0", Encoding.UTF8.GetBytes("[book]"), false, 1700000000000)
            .Merge(SiblingSet.Empty.Update(VectorClock.Empty, "silo1", [], true, 1700000000001)),
        "typed" => SiblingSet.Empty.Update(VectorClock.Empty, "silo0", Encoding.UTF8.GetBytes("{}"), false, 1700000000000, "application/json"),
        "medium" => SiblingSet.Empty.Update(VectorClock.Empty, "silo1", new byte[60 * 1024], false, 1700000000000),
        "large" => SiblingSet.Empty.Update(VectorClock.Empty, "silo2", Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray(), false, 1700000000000),
        _ => SiblingSet.Empty,
    };

    [Theory]
    [MemberData(nameof(SetsOnTheWire))]
    public void A_sibling_set_is_sent_as_the_release_before_sent_it_and_read_from_either(string shape)
    {
        // The release before sent a set as a surrogate holding its encoding (LegacySet below, as it was); the set's codec
        // writes those bytes without the array. The same string twice and the same set twice travel as references, whose
        // numbers count every object before them: the bytes match only if the codec numbers as the surrogate did.
        var set = SetFor(shape);
        string silo = string.Concat("silo", "3");
        var current = new CurrentWrite(7, set, silo, silo, set, null);
        var legacy = new LegacyWrite(7, new LegacySet(set), silo, silo, null, null);
        legacy = legacy with { Again = legacy.Siblings };
        byte[] sent = _serializer.SerializeToArray(current);
        byte[] sentBefore = _serializer.SerializeToArray(legacy);
        Assert.Equal(Convert.ToHexString(sentBefore), Convert.ToHexString(sent));
        // Written as a connection writes it: into a pipe's pieces of 4 KiB, whatever size is asked for.
        var pieces4k = new SmallPieces(4096);
        _serializer.Serialize(current, pieces4k);
        Assert.Equal(Convert.ToHexString(sent), Convert.ToHexString(pieces4k.Written()));

        var fromOld = _serializer.Deserialize<CurrentWrite>(sentBefore)!;
        Assert.Equal(set, fromOld.Siblings);
        Assert.Same(fromOld.Siblings, fromOld.Again);
        Assert.Same(fromOld.From, fromOld.To);
        Assert.Null(fromOld.None);
        var byOld = _serializer.Deserialize<LegacyWrite>(sent)!;
        Assert.Equal(set, byOld.Siblings.Set);
        Assert.Same(byOld.Siblings, byOld.Again);
        Assert.Equal("silo3", byOld.To);

        // A message read from pieces (as from the network) decodes the set across their edges.
        var pieces = InPieces(sent, Math.Max(7, sent.Length / 5));
        Assert.False(pieces.IsSingleSegment);
        var fromPieces = _serializer.Deserialize<CurrentWrite>(pieces)!;
        Assert.Equal(set, fromPieces.Siblings);
        Assert.Same(fromPieces.Siblings, fromPieces.Again);
    }

    [Fact]
    public void A_sibling_set_that_does_not_decode_fails_the_message_with_the_decoders_reason()
    {
        var legacy = new LegacyWrite(7, new LegacySet(SetFor("plain")), "silo0", "silo1", null, null);
        byte[] sent = _serializer.SerializeToArray(legacy);
        int format = Array.IndexOf(sent, (byte)VersionCodec.SiblingSetFormatV1, Array.IndexOf(sent, (byte)7) + 1);
        sent[format] = 9; // the set's format byte
        var e = Assert.ThrowsAny<Exception>(() => _serializer.Deserialize<CurrentWrite>(sent));
        Assert.Contains("sibling set has unknown format 9", e.ToString());
    }

    private static ReadOnlySequence<byte> InPieces(byte[] bytes, int size)
    {
        Piece? first = null, last = null;
        for (int at = 0; at < bytes.Length; at += size)
        {
            var piece = new Piece(bytes.AsMemory(at, Math.Min(size, bytes.Length - at)), at);
            if (last is null) first = piece;
            else last.Next = piece;
            last = piece;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>A buffer writer that never hands out more than <paramref name="size"/> bytes at a time, as a pipe of pooled blocks does.</summary>
    private sealed class SmallPieces(int size) : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _piece = [];

        public void Advance(int count) => _written.AddRange(_piece.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0) => _piece = new byte[size];

        public Span<byte> GetSpan(int sizeHint = 0) => _piece = new byte[size];

        public byte[] Written() => [.. _written];
    }

    private sealed class Piece : ReadOnlySequenceSegment<byte>
    {
        public Piece(ReadOnlyMemory<byte> memory, long at)
        {
            Memory = memory;
            RunningIndex = at;
        }

        public new Piece? Next { set => base.Next = value; }
    }
}

/// <summary>A message with sibling sets as the set's codec sends them.</summary>
[GenerateSerializer]
public sealed record CurrentWrite([property: Id(0)] int Partition, [property: Id(1)] SiblingSet Siblings, [property: Id(2)] string From,
    [property: Id(3)] string To, [property: Id(4)] SiblingSet? Again, [property: Id(5)] SiblingSet? None);

/// <summary>The same message as the release before sent it: each set a <see cref="LegacySet"/>.</summary>
[GenerateSerializer]
public sealed record LegacyWrite([property: Id(0)] int Partition, [property: Id(1)] LegacySet Siblings, [property: Id(2)] string From,
    [property: Id(3)] string To, [property: Id(4)] LegacySet? Again, [property: Id(5)] LegacySet? None);

/// <summary>A sibling set under the converter the release before registered for <see cref="SiblingSet"/>.</summary>
public sealed class LegacySet(SiblingSet set)
{
    public SiblingSet Set { get; } = set;
}

[RegisterConverter]
public sealed class LegacySetConverter : IConverter<LegacySet, VersionBytesSurrogate>
{
    public LegacySet ConvertFromSurrogate(in VersionBytesSurrogate surrogate) => new(VersionCodec.DecodeSiblingSet(surrogate.Bytes));

    public VersionBytesSurrogate ConvertToSurrogate(in LegacySet value) => new(VersionCodec.EncodeSiblingSet(value.Set));
}
