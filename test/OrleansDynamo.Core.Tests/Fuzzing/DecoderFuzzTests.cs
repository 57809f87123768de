using FsCheck;
using FsCheck.Xunit;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Tests.Membership;
using OrleansDynamo.Core.Tests.Versioning;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Fuzzing;

/// <summary>
/// Every decoder of bytes from the network or disk — client contexts, sibling sets (stored values, replica messages
/// and hints), membership histories, Merkle tree files — fed random bytes and mutations of valid encodings (bit
/// flips, truncation, insertion, extension, a length or count set huge): each either decodes or throws its own
/// format exception, never anything else, and never allocates more than its input backs (<see cref="DecoderFuzz"/>).
/// </summary>
[Properties(Arbitrary = [typeof(Generators), typeof(MembershipGenerators), typeof(FuzzGenerators)], MaxTest = MaxTest)]
public sealed class DecoderFuzzTests
{
    /// <summary>Inputs per property (a few seconds in all); raise locally (e.g. 20000) for a deeper run.</summary>
    public const int MaxTest = 1000;

    private static VectorClock? Context(byte[] bytes) =>
        DecoderFuzz.Decode<VectorClock, VersionFormatException>(bytes, b => VersionCodec.DecodeContextBytes(b));

    private static SiblingSet? Siblings(byte[] bytes) =>
        DecoderFuzz.Decode<SiblingSet, VersionFormatException>(bytes, b => VersionCodec.DecodeSiblingSet(b));

    private static MembershipHistory? History(byte[] bytes) =>
        DecoderFuzz.Decode<MembershipHistory, VersionFormatException>(bytes, b => MembershipCodec.Decode(b));

    private static MerkleTree? Tree(byte[] bytes) =>
        DecoderFuzz.Decode<MerkleTree, FormatException>(bytes, b => MerkleTree.Deserialize(b));

    [Property]
    public void Contexts_decode_or_are_refused_within_bounds(CodecClock clock, Mutations mutations, Noise noise)
    {
        foreach (var bytes in new[] { mutations.Apply(VersionCodec.EncodeContextBytes(clock.Clock)), noise.Bytes })
        {
            if (Context(bytes) is { } decoded && bytes.Length > 0) Assert.Equal(bytes, VersionCodec.EncodeContextBytes(decoded));
            var text = Convert.ToBase64String(bytes);
            DecoderFuzz.Decode<VectorClock, VersionFormatException>(bytes, _ => VersionCodec.DecodeContext(text));
        }
    }

    [Property]
    public void Sibling_sets_decode_or_are_refused_within_bounds(Versioning.History history, NonNegativeInt pick, Mutations mutations, Noise noise)
    {
        var world = ReplicaWorld.Run(history);
        var valid = VersionCodec.EncodeSiblingSet(world.Snapshots[pick.Get % world.Snapshots.Count]);
        foreach (var bytes in new[] { mutations.Apply(valid), noise.Bytes })
        {
            if (Siblings(bytes) is { } decoded) Assert.Equal(bytes, VersionCodec.EncodeSiblingSet(decoded));
        }
    }

    [Property]
    public void Membership_histories_decode_or_are_refused_within_bounds(MembershipHistory history, Mutations mutations, Noise noise)
    {
        foreach (var bytes in new[] { mutations.Apply(MembershipCodec.Encode(history)), noise.Bytes })
        {
            // A history that decodes encodes again and decodes to the same events (format 1 comes back as format 2).
            if (History(bytes) is { } decoded)
                Assert.Equal(decoded.Events, MembershipCodec.Decode(MembershipCodec.Encode(decoded)).Events);
        }
    }

    [Property]
    public void Merkle_files_decode_or_are_refused_within_bounds(MerkleFile file, Mutations mutations, HeaderPlant header, Noise noise)
    {
        foreach (var bytes in new[] { mutations.Apply(file.Bytes), header.Plant.Apply(file.Bytes), noise.Bytes })
        {
            if (Tree(bytes) is { } decoded) Assert.Equal(bytes, decoded.Serialize());
        }
    }

    [Property]
    public void Merkle_requests_are_answered_or_refused_within_bounds(MerkleFile file, int level, int[] nodes, bool children)
    {
        var tree = MerkleTree.Deserialize(file.Bytes);
        long allocated = DecoderFuzz.Allocated(() =>
        {
            try
            {
                if (children) tree.Children(level, nodes);
                else tree.Answer(new MerkleRequest(level, [.. nodes]));
            }
            catch (ArgumentException)
            {
                // A level or node the tree does not have: refused.
            }
        });
        Assert.True(allocated <= DecoderFuzz.AllowanceBytes + DecoderFuzz.BytesPerInputByte * nodes.Length * tree.Shape.FanOut);
    }
}
