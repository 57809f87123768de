using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using Xunit;

namespace OrleansDynamo.Core.Tests.Membership;

/// <summary>
/// Issue 15: membership events are checked before they are merged, persisted or replayed. A member with a weight of
/// NaN once made every get and put on every silo fail, and the silos could not start again (it was on disk).
/// </summary>
public class MembershipEventValidationTests
{
    private static MemberInfo Good(string name = "a") => new(name, "http://127.0.0.1:1", "z1", 1.0, "http://127.0.0.1:2", "127.0.0.1:3");

    public static TheoryData<MembershipEvent, string> BadEvents => new()
    {
        { MembershipEvent.Join(1, "a", Good() with { Weight = double.NaN }), "weight NaN" },
        { MembershipEvent.Join(1, "a", Good() with { Weight = double.PositiveInfinity }), "must be in (0, 1000]" },
        { MembershipEvent.Join(1, "a", Good() with { Weight = 0 }), "weight 0" },
        { MembershipEvent.Join(1, "a", Good() with { Weight = -2 }), "weight -2" },
        { MembershipEvent.Join(1, "a", Good() with { Weight = 1e9 }), "weight 1000000000" },
        { MembershipEvent.Join(1, "a", Good() with { Address = "tcp://evil:1" }), "not an http(s) address" },
        { MembershipEvent.Join(1, "a", Good() with { Address = "http://user:pw@evil:1" }), "not an http(s) address" },
        { MembershipEvent.Join(1, "a", Good() with { GatewayAddress = "evil" }), "not host:port" },
        { MembershipEvent.Join(1, "a", Good() with { GatewayAddress = "127.0.0.1:70000" }), "not host:port" },
        { MembershipEvent.Join(1, "a", Good() with { Name = "" }), "empty silo name" },
        { MembershipEvent.Join(1, "a", Good() with { Name = "two words" }), "spaces" },
        { MembershipEvent.Join(1, "a", Good() with { Name = new string('x', 129) }), "129 characters" },
        { MembershipEvent.Join(0, "a", Good()), "Lamport time 0" },
        { MembershipEvent.Join(long.MaxValue, "a", Good()), "Lamport time" },
        { MembershipEvent.Join(1, "", Good()), "empty origin" },
        { new MembershipEvent(1, "a", MembershipEventKind.Join, Good("b"), SiloName: "c"), "names silo 'c'" },
        { new MembershipEvent(1, "a", MembershipEventKind.Join), "without its member" },
        { MembershipEvent.Leave(1, "a", ""), "empty silo name" },
        { new MembershipEvent(1, "a", (MembershipEventKind)99), "unknown kind 99" },
        { MembershipEvent.DefineBucket(1, "a", new BucketSettings("b", 3, 4, 2)), "bucket 'b'" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public void A_bad_event_is_refused_with_its_reason_and_cannot_be_added(MembershipEvent e, string reason)
    {
        Assert.Contains(reason, e.Problem());
        var empty = new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket);
        var thrown = Assert.Throws<ArgumentException>(() => empty.Add(e));
        Assert.Contains(reason, thrown.Message);
    }

    [Fact]
    public void A_good_event_has_no_problem()
    {
        Assert.Null(MembershipEvent.Join(1, "a", Good()).Problem());
        Assert.Null(MembershipEvent.Join(1, "a", new MemberInfo("a", "https://silo.example:443")).Problem());
        Assert.Null(MembershipEvent.Leave(2, "a", "a").Problem());
        Assert.Null(MembershipEvent.DefineBucket(3, "a", new BucketSettings("b", 3, 2, 2)).Problem());
    }

    [Fact]
    public void A_history_from_disk_or_a_peer_leaves_a_poisoned_event_out_and_keeps_the_rest()
    {
        var good = MembershipEvent.Join(1, "a", Good("a"));
        var poisoned = MembershipEvent.Join(2, "b", Good("b") with { Weight = double.NaN });
        var later = MembershipEvent.Join(3, "c", Good("c"));
        var history = new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket, [good, poisoned, later]);

        Assert.Equal([good, later], history.Events);
        var refused = Assert.Single(history.Refused);
        Assert.Equal(poisoned, refused.Event);
        Assert.Contains("weight NaN", refused.Reason);
        // The ring still computes, without the poisoned member.
        Assert.NotNull(history.State.Ring);
        Assert.Null(history.State.Member("b"));

        // The same through the codec: a format-2 history whose member "b" has weight NaN, patched in the bytes.
        var bytes = MembershipCodec.Encode(new MembershipHistory("c", 16, MembershipGenerators.DefaultBucket, [good, poisoned with { Member = Good("b") with { Weight = 2.0 } }, later]));
        var patched = PatchWeight(bytes, 2.0, double.PositiveInfinity);
        var decoded = MembershipCodec.Decode(patched);
        Assert.Equal(2, decoded.Events.Count);
        Assert.Contains("must be in (0, 1000]", Assert.Single(decoded.Refused).Reason);
    }

    /// <summary>Replaces the encoded weight <paramref name="from"/> by <paramref name="to"/> (both 10-byte zigzag varints).</summary>
    internal static byte[] PatchWeight(byte[] bytes, double from, double to)
    {
        byte[] a = ZigZag(BitConverter.DoubleToInt64Bits(from)), b = ZigZag(BitConverter.DoubleToInt64Bits(to));
        Assert.Equal(a.Length, b.Length);
        int at = bytes.AsSpan().IndexOf(a);
        Assert.True(at >= 0, "the weight's encoding was not found");
        var patched = (byte[])bytes.Clone();
        b.CopyTo(patched, at);
        return patched;
    }

    private static byte[] ZigZag(long v)
    {
        ulong u = (ulong)((v << 1) ^ (v >> 63));
        var result = new List<byte>();
        while (u >= 0x80)
        {
            result.Add((byte)(u | 0x80));
            u >>= 7;
        }
        result.Add((byte)u);
        return [.. result];
    }
}
