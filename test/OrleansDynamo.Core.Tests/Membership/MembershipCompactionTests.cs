using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Membership;
using Xunit;

namespace OrleansDynamo.Core.Tests.Membership;

/// <summary>Issue 15, item 5: repeated bucket definitions cannot grow the membership history without end.</summary>
public sealed class MembershipCompactionTests
{
    private static readonly BucketSettings Default = new(BucketSettings.DefaultName);

    private static MembershipHistory Empty() => new("c", 16, Default);

    private static MemberInfo Silo(string name) => new(name, "http://127.0.0.1:1000", null, 1.0);

    [Fact]
    public void A_thousand_redefinitions_of_a_bucket_leave_one_event_and_the_latest_settings()
    {
        var h = Empty().Add(MembershipEvent.Join(1, "s0", Silo("s0")));
        for (int i = 0; i < 1000; i++)
            h = h.Add(MembershipEvent.DefineBucket(h.MaxLamport + 1, "s0", new BucketSettings("orders", 3, 1 + i % 2, 2, ConflictPolicy.Siblings)));
        Assert.Equal(2, h.Events.Count);
        Assert.Equal(2, h.State.Buckets["orders"].R); // i = 999: R = 2
        // The join counts one, the definition its Lamport time 1001 (× 65536, plus its origin's tiebreak).
        Assert.Equal(1 + 1001L * 65536 + MembershipEvent.OriginTiebreak("s0"), h.State.Version);
    }

    [Fact]
    public void Two_definitions_of_a_bucket_at_one_Lamport_time_keep_one_on_every_silo_and_the_version_grows_on_the_side_that_loses_its_own()
    {
        // A clean CI run's property test found it: s2 and s4 defined b1 concurrently, both at Lamport time 26; the side
        // holding s2's definition took s4's in a merge, and its version did not change (a definition counted its Lamport
        // time alone), so a client or a transfer comparing versions could not tell the new state from the old.
        var join = MembershipEvent.Join(1, "s0", Silo("s5"));
        var fromS2 = MembershipEvent.DefineBucket(26, "s2", new BucketSettings("b1", 3, 1, 1, ConflictPolicy.Siblings));
        var fromS4 = MembershipEvent.DefineBucket(26, "s4", new BucketSettings("b1", 3, 2, 2, ConflictPolicy.Siblings));
        var a = Empty().Add(join).Add(fromS2);
        var b = Empty().Add(join).Add(fromS4);
        var ab = a.Merge(b);
        var ba = b.Merge(a);
        Assert.Equal(ab.Events.ToArray(), ba.Events.ToArray());
        var kept = Assert.Single(ab.Events, e => e.Kind == MembershipEventKind.Bucket);
        var lost = kept == fromS2 ? b : a; // the side whose own definition was replaced
        Assert.True(ab.State.Version > lost.State.Version, $"{ab.State.Version} after the merge, {lost.State.Version} before");
        Assert.Equal(ab.State.Version, ba.State.Version);
    }

    [Fact]
    public void A_superseded_definition_sent_back_by_a_peer_adds_nothing()
    {
        var old = MembershipEvent.DefineBucket(2, "s1", new BucketSettings("orders", 3, 1, 1, ConflictPolicy.Siblings));
        var current = MembershipEvent.DefineBucket(3, "s0", new BucketSettings("orders", 3, 2, 2, ConflictPolicy.Siblings));
        var peer = Empty().Add(MembershipEvent.Join(1, "s0", Silo("s0"))).Add(old);
        var here = peer.Add(current);
        Assert.DoesNotContain(old, here.Events);

        Assert.Same(here, here.Merge(peer));
        Assert.Same(here, here.Add(old));
        Assert.Equal(here.Events.ToArray(), peer.Merge(here).Events.ToArray());
        Assert.Equal(here.Digest, peer.Merge(here).Digest);
    }

    [Fact]
    public void A_history_built_from_events_of_disk_or_a_peer_keeps_each_buckets_latest_definition()
    {
        // The constructor is what decoding (disk, gossip) builds histories with.
        var events = Enumerable.Range(1, 50)
            .Select(i => MembershipEvent.DefineBucket(i, "s0", new BucketSettings("b" + i % 3, 3, 1, 1, ConflictPolicy.Siblings)))
            .Append(MembershipEvent.Join(51, "s0", Silo("s0")));
        var built = new MembershipHistory("c", 16, Default, events);
        Assert.Equal(4, built.Events.Count);
        var decoded = MembershipCodec.Decode(MembershipCodec.Encode(built));
        Assert.Equal(4, decoded.Events.Count); // b0, b1, b2 and the join
        Assert.Equal([48L, 49L, 50L], decoded.Events.Where(e => e.Kind == MembershipEventKind.Bucket).Select(e => e.Lamport).Order());
    }

    [Fact]
    public void Joins_leaves_and_departures_are_never_compacted()
    {
        var h = Empty()
            .Add(MembershipEvent.Join(1, "s0", Silo("s0")))
            .Add(MembershipEvent.Join(2, "s1", Silo("s1")))
            .Add(MembershipEvent.Leave(3, "s0", "s1"))
            .Add(MembershipEvent.Left(4, "s1", "s1"))
            .Add(MembershipEvent.Join(5, "s1", Silo("s1")));
        Assert.Equal(5, h.Events.Count);
        Assert.Equal(5, h.State.Version);
    }
}
