using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Membership;

public class MembershipCodecTests
{
    private static MembershipHistory Sample() =>
        new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket)
            .Add(MembershipEvent.Join(1, "a", new MemberInfo("a", "http://127.0.0.1:1", "z1", 2.0, "http://127.0.0.1:2")))
            .Add(MembershipEvent.Join(2, "b", new MemberInfo("b", "http://127.0.0.1:3")))
            .Add(MembershipEvent.Leave(3, "a", "b"));

    [Fact]
    public void An_unknown_format_byte_is_refused_with_a_message()
    {
        var bytes = MembershipCodec.Encode(Sample());
        bytes[0] = 9;
        var e = Assert.Throws<VersionFormatException>(() => MembershipCodec.Decode(bytes));
        Assert.Contains("unknown format 9", e.Message);
    }

    [Fact]
    public void A_member_gateway_round_trips_and_a_format_1_history_still_reads()
    {
        var h = new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket)
            .Add(MembershipEvent.Join(1, "a", new MemberInfo("a", "http://127.0.0.1:1", null, 1.0, "http://127.0.0.1:2", "127.0.0.1:3")));
        var decoded = MembershipCodec.Decode(MembershipCodec.Encode(h));
        Assert.Equal("127.0.0.1:3", decoded.State.Member("a")!.Info.GatewayAddress);

        // Format 1, as silos wrote it before gateways were recorded: the same member without the trailing gateway string.
        var v1 = new List<byte> { MembershipCodec.FormatV1 };
        var v2 = MembershipCodec.Encode(h);
        v1.AddRange(v2[1..^("127.0.0.1:3".Length + 1)]);
        var old = MembershipCodec.Decode(v1.ToArray());
        Assert.Equal("http://127.0.0.1:2", old.State.Member("a")!.Info.HttpAddress);
        Assert.Null(old.State.Member("a")!.Info.GatewayAddress);
    }

    [Fact]
    public void An_unknown_event_kind_is_refused()
    {
        var h = new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket).Add(MembershipEvent.Left(1, "a", "b"));
        var bytes = MembershipCodec.Encode(h);
        int kindAt = bytes.Length - 3; // kind, then the silo name "b" (length byte and one character)
        Assert.Equal((byte)MembershipEventKind.Left, bytes[kindAt]);
        bytes[kindAt] = 77;
        var e = Assert.Throws<VersionFormatException>(() => MembershipCodec.Decode(bytes));
        Assert.Contains("unknown event kind 77", e.Message);
    }

    [Fact]
    public void A_partition_count_that_is_not_a_power_of_two_is_refused()
    {
        var bytes = MembershipCodec.Encode(new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket));
        // format, string "c" (length 1, 'c'), then the varuint partition count.
        Assert.Equal(16, bytes[3]);
        bytes[3] = 12;
        Assert.Throws<VersionFormatException>(() => MembershipCodec.Decode(bytes));
    }

    [Fact]
    public void Two_different_events_with_one_id_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket,
            [MembershipEvent.Leave(1, "a", "x"), MembershipEvent.Leave(1, "a", "y")]));
    }

    [Fact]
    public void Merging_another_cluster_is_refused()
    {
        var other = new MembershipHistory("d", 16, MembershipGenerators.DefaultBucket);
        Assert.Throws<InvalidOperationException>(() => Sample().Merge(other));
    }
}
