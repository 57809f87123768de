using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Tests.Membership;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Fuzzing;

/// <summary>What <see cref="DecoderFuzzTests"/> found, each pinned: a count or length set huge in a few bytes is refused before anything is allocated for it.</summary>
public sealed class DecoderRegressionTests
{
    /// <summary>Well under what any of these counts would have reserved.</summary>
    private const long Small = 64 * 1024;

    private static byte[] Varint(ulong v)
    {
        var bytes = new List<byte>();
        for (; v >= 0x80; v >>= 7) bytes.Add((byte)(v | 0x80));
        bytes.Add((byte)v);
        return [.. bytes];
    }

    [Fact]
    public void A_membership_history_declaring_a_million_events_in_a_few_bytes_is_refused_before_allocating()
    {
        // Found by the fuzz: the event list was sized from the declared count (8 MB for 1,000,000) before any event was read.
        var empty = MembershipCodec.Encode(new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket));
        Assert.Equal(0, empty[^1]); // the event count, last
        byte[] bytes = [.. empty[..^1], .. Varint(1_000_000)];
        VersionFormatException? e = null;
        long allocated = DecoderFuzz.Allocated(() => e = Assert.Throws<VersionFormatException>(() => MembershipCodec.Decode(bytes)));
        Assert.Contains("declares 1000000 events", e!.Message);
        Assert.True(allocated < Small, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_membership_history_of_a_billion_partitions_decodes_without_building_them()
    {
        var bytes = MembershipCodec.Encode(new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket));
        Assert.Equal(16, bytes[3]); // format, "c", then the partition count
        byte[] huge = [.. bytes[..3], .. Varint(1UL << 30), .. bytes[4..]];
        long allocated = DecoderFuzz.Allocated(() => Assert.Equal(1 << 30, MembershipCodec.Decode(huge).PartitionCount));
        Assert.True(allocated < Small, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData("01" + "8020", "declares 4096 clock entries")]
    [InlineData("01" + "00" + "808004", "declares 65536 siblings")]
    public void Sibling_sets_and_contexts_declaring_more_than_their_bytes_hold_are_refused_before_allocating(string hex, string message)
    {
        var bytes = Convert.FromHexString(hex);
        VersionFormatException? e = null;
        long allocated = DecoderFuzz.Allocated(() => e = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet(bytes)));
        Assert.Contains(message, e!.Message);
        Assert.True(allocated < Small, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_merkle_request_for_the_children_of_more_parents_than_a_level_has_is_refused_before_allocating()
    {
        // A replica asking for the children of 100,000 parents at the root level (which has one) made the tree reserve
        // 100,000 × fan-out hashes (12.8 MB at 16) before it looked at the first parent.
        var tree = new MerkleTree();
        var parents = new int[100_000];
        long allocated = DecoderFuzz.Allocated(() => Assert.Throws<ArgumentOutOfRangeException>(() => tree.Children(0, parents)));
        Assert.True(allocated < Small, $"allocated {allocated} bytes");
        Assert.Equal(MerkleShape.Default.FanOut, tree.Children(0, [0]).Length);
    }
}
