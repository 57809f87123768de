using System.Collections.Immutable;
using System.Net;
using Orleans.Runtime;
using OrleansDynamo.Silo.Membership;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>A silo's name to its newest active incarnation, read from each membership snapshot (and only that snapshot).</summary>
public sealed class ActiveMembersTests
{
    private static SiloAddress At(int port, int generation) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    private static ClusterMembershipSnapshot Snapshot(long version, params (SiloAddress Address, SiloStatus Status, string Name)[] members) =>
        new(members.ToImmutableDictionary(m => m.Address, m => new ClusterMember(m.Address, m.Status, m.Name)), new MembershipVersion(version));

    [Fact]
    public void The_newest_active_incarnation_of_a_name_is_chosen_and_each_snapshot_answers_for_itself()
    {
        var old = At(11111, 100);
        var restarted = At(11111, 200);
        var other = At(11112, 150);
        var both = Snapshot(3, (old, SiloStatus.Active, "silo1"), (restarted, SiloStatus.Active, "silo1"), (other, SiloStatus.Active, "silo2"));
        Assert.Equal(restarted, ActiveMembers.Newest(both, "silo1"));
        Assert.Equal(other, ActiveMembers.Newest(both, "silo2"));
        Assert.Null(ActiveMembers.Newest(both, "silo3"));
        Assert.Null(ActiveMembers.Newest(both, "SILO1"));

        var newerDead = Snapshot(4, (old, SiloStatus.Active, "silo1"), (restarted, SiloStatus.Dead, "silo1"), (other, SiloStatus.ShuttingDown, "silo2"));
        Assert.Equal(old, ActiveMembers.Newest(newerDead, "silo1"));
        Assert.Null(ActiveMembers.Newest(newerDead, "silo2"));
        Assert.Equal(restarted, ActiveMembers.Newest(both, "silo1")); // the earlier snapshot still reads as it was
    }
}
