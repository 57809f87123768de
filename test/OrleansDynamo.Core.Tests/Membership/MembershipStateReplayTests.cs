using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using Xunit;

namespace OrleansDynamo.Core.Tests.Membership;

/// <summary>
/// What a ring change costs a silo: the history one event longer than the one it holds replays the earlier ring changes
/// from memory and claims only the new ring, once, however many threads ask for it at the same moment.
/// </summary>
public class MembershipStateReplayTests
{
    private static MembershipEvent Join(long lamport, string silo) => MembershipEvent.Join(lamport, silo, new MemberInfo(silo, $"http://{silo}:1"));

    private static MembershipHistory Joined(int silos)
    {
        var h = new MembershipHistory("c", 1024, new BucketSettings("default"));
        for (int i = 1; i <= silos; i++) h = h.Add(Join(i, $"silo{i}"));
        return h;
    }

    [Fact]
    public void A_join_added_to_a_replayed_history_claims_one_ring()
    {
        var three = Joined(3);
        Assert.Equal(3, three.State.Ring!.Version);
        Assert.Equal(3, three.RingClaims);

        var four = three.Add(Join(4, "silo4"));
        Assert.Equal(4, four.State.Ring!.Version);
        Assert.Equal(4, four.RingClaims);
        Assert.Same(three.State.Ring, four.State.PreviousRing);

        var leaving = four.Add(MembershipEvent.Leave(5, "silo1", "silo4"));
        Assert.Equal(5, leaving.State.Ring!.Version);
        Assert.Equal(5, leaving.RingClaims);
        Assert.Same(four.State.Ring, leaving.State.PreviousRing);
    }

    [Fact]
    public void A_bucket_definition_claims_nothing_and_keeps_the_ring()
    {
        var four = Joined(4);
        var ring = four.State.Ring;
        int claims = four.RingClaims;

        var defined = four.Add(MembershipEvent.DefineBucket(5, "silo1", new BucketSettings("carts", N: 2, R: 1, W: 1)));

        Assert.Contains("carts", defined.State.Buckets.Keys);
        Assert.Same(ring, defined.State.Ring);
        Assert.Equal(claims, defined.RingClaims);
    }

    [Fact]
    public void A_history_from_a_peer_merged_into_a_replayed_one_claims_only_its_new_ring()
    {
        var mine = Joined(3);
        _ = mine.State;
        // The peer's copy was decoded from gossip: it shares no memory with this silo's history.
        var theirs = MembershipCodec.Decode(MembershipCodec.Encode(Joined(3).Add(Join(4, "silo4"))));

        var merged = mine.Merge(theirs);

        Assert.Equal(4, merged.State.Ring!.Version);
        Assert.Equal(4, merged.RingClaims);
        var fresh = new MembershipHistory("c", 1024, new BucketSettings("default"), merged.Events);
        Assert.Equal(fresh.State.Ring!.Owners.ToArray(), merged.State.Ring.Owners.ToArray());
    }

    [Fact]
    public void Threads_that_ask_for_a_new_state_at_once_share_one_replay()
    {
        var four = Joined(3).Add(Join(4, "silo4")); // nothing replayed yet: four ring changes to claim
        using var start = new Barrier(8);
        var states = new ClusterState[8];
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            states[i] = four.State;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.All(states, s => Assert.Same(states[0], s));
        Assert.Equal(4, four.RingClaims);
    }
}
