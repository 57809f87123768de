using System.Collections.Immutable;
using OrleansDynamo.Silo.Transfer;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 5: who streams a partition to whom after a ring change (the pure planner).</summary>
public sealed class HandoffPlannerTests
{
    private static ImmutableArray<string> L(params string[] silos) => [.. silos];

    private static PartitionTransfer Plan(string self, ImmutableArray<string> owners, ImmutableArray<string> old, bool holds = true, Func<string, bool>? available = null) =>
        TransferPlanner.Plan(self, 7, owners, old, previousKnown: true, holds, available ?? (_ => true));

    [Fact]
    public void A_join_sends_only_from_the_replica_that_falls_out_and_only_to_the_newcomer()
    {
        var old = L("a", "b", "c");
        var now = L("a", "d", "b");
        var fromC = Plan("c", now, old);
        Assert.Equal(TransferRole.HandOff, fromC.Role);
        Assert.Equal(["d"], fromC.Targets);
        Assert.Equal(TransferRole.None, Plan("a", now, old).Role);
        Assert.Equal(TransferRole.None, Plan("b", now, old).Role);
        Assert.Equal(TransferRole.None, Plan("d", now, old).Role);
    }

    [Fact]
    public void Once_the_leaver_is_recorded_as_left_no_staying_replica_streams_its_partition_again()
    {
        // c leaves: d is new in the list. While c is leaving, c hands off; a and b do nothing.
        var old = L("a", "b", "c");
        var now = L("a", "b", "d");
        Assert.Equal(TransferRole.HandOff, Plan("c", now, old).Role);
        Assert.Equal(TransferRole.None, Plan("a", now, old).Role);
        // c has left (it records that only after every hand-off was acknowledged): it is no longer available, but it sent.
        bool CIsGone(string s) => s != "c";
        Assert.Equal(TransferRole.None, TransferPlanner.Plan("a", 7, now, old, previousKnown: true, holds: true, CIsGone, left: s => s == "c").Role);
        Assert.Equal(TransferRole.None, TransferPlanner.Plan("b", 7, now, old, previousKnown: true, holds: true, CIsGone, left: s => s == "c").Role);
        // Unreachable but not left (it crashed while leaving): the first staying replica streams instead.
        Assert.Equal(TransferRole.Replicate, TransferPlanner.Plan("a", 7, now, old, previousKnown: true, holds: true, CIsGone, left: _ => false).Role);
    }

    [Fact]
    public void In_a_cluster_smaller_than_N_the_first_available_old_replica_streams_to_the_newcomer()
    {
        var old = L("b", "a");
        var now = L("b", "a", "c");
        var fromB = Plan("b", now, old);
        Assert.Equal(TransferRole.Replicate, fromB.Role);
        Assert.Equal(["c"], fromB.Targets);
        Assert.Equal(TransferRole.None, Plan("a", now, old).Role);
        // b unreachable in a's view: a streams instead.
        Assert.Equal(TransferRole.Replicate, Plan("a", now, old, available: s => s != "b").Role);
    }

    [Fact]
    public void When_the_replica_that_falls_out_is_unavailable_a_staying_one_streams()
    {
        var old = L("a", "b", "c");
        var now = L("a", "d", "b");
        var fromA = Plan("a", now, old, available: s => s != "c");
        Assert.Equal(TransferRole.Replicate, fromA.Role);
        Assert.Equal(["d"], fromA.Targets);
        Assert.Equal(TransferRole.None, Plan("b", now, old, available: s => s != "c").Role);
    }

    [Fact]
    public void A_replica_that_falls_out_holding_nothing_announces_completion_and_a_stand_in_hands_off_to_every_owner()
    {
        var old = L("a", "b", "c");
        var now = L("a", "d", "b");
        var empty = Plan("c", now, old, holds: false);
        Assert.Equal(TransferRole.AnnounceDone, empty.Role);
        Assert.Equal(["d"], empty.Targets);
        var standIn = Plan("e", now, old);
        Assert.Equal(TransferRole.HandOff, standIn.Role);
        Assert.Equal(["a", "d", "b"], standIn.Targets);
        Assert.Equal(TransferRole.None, Plan("e", now, old, holds: false).Role);
    }

    [Fact]
    public void Without_a_previous_ring_nothing_moves_to_owners()
    {
        var now = L("a", "b", "c");
        Assert.Equal(TransferRole.None, TransferPlanner.Plan("a", 0, now, [], previousKnown: false, holds: true, _ => true).Role);
    }
}
