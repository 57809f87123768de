using System.Text;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Membership;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 15: a membership event that may not enter a history (a bad address, a weight of NaN, ...) is refused, counted
/// and logged wherever it arrives — a peer's gossip or the silo's own data directory — and the silos go on serving
/// with everything else. Before, one poisoned join broke every get and put and the silos could not start again.
/// </summary>
public sealed class MembershipValidationTests
{
    private const string Disguise = "http://evil:9";   // a valid address of the same length as the poison
    private const string Poison = "tcp://evil:99";

    /// <summary>The silo's history plus a join of "rogue" whose address is <see cref="Poison"/>, as bytes.</summary>
    private static byte[] PoisonedHistory(MembershipHistory current)
    {
        var rogue = MembershipEvent.Join(current.MaxLamport + 1, "rogue", new MemberInfo("rogue", Disguise, null, 1.0));
        var bytes = MembershipCodec.Encode(current.Add(rogue));
        byte[] from = Encoding.UTF8.GetBytes(Disguise), to = Encoding.UTF8.GetBytes(Poison);
        int at = bytes.AsSpan().IndexOf(from);
        Assert.True(at >= 0);
        to.CopyTo(bytes, at);
        return bytes;
    }

    [Fact]
    public async Task A_poisoned_join_from_a_peer_or_from_disk_is_refused_counted_and_the_silos_keep_serving()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        await using var client = await cluster.CreateClientAsync();
        await client.PutAsync("before", "v");

        // A peer's gossip carrying the poisoned join.
        var silo0 = cluster.Silo("silo0").Runtime;
        var poisoned = PoisonedHistory(silo0.Membership.History);
        await silo0.Membership.HandleGossipAsync(
            new GossipRequest(silo0.Options.ClusterName, "", "silo1", cluster.Silo("silo1").GrpcAddress, default, poisoned), CancellationToken.None);
        Assert.Equal(1, silo0.Counters.Get(CounterNames.MembershipEventsRefused));
        Assert.Null(silo0.Membership.State.Member("rogue"));
        Assert.Equal(3, silo0.Membership.State.Ring!.Owners.Distinct().Count());

        // The same join already in a silo's data directory (as an older version could have stored it).
        var silo1 = cluster.Silo("silo1");
        await cluster.StopSiloAsync("silo1");
        await using (var store = SiloHost.OpenStore(silo1.Options))
            await store.Metadata.SetAsync(MembershipManager.MetadataKey, poisoned);
        await cluster.RestartSiloAsync("silo1");
        Assert.Equal(1, silo1.Runtime.Counters.Get(CounterNames.MembershipEventsRefused));
        Assert.Null(silo1.Runtime.Membership.State.Member("rogue"));

        foreach (var silo in cluster.Running) Assert.DoesNotContain(silo.Runtime.Membership.State.Members.Keys, name => name == "rogue");
        for (int i = 0; i < 20; i++)
        {
            await client.PutAsync($"after-{i}", "v");
            Assert.Equal("v", Assert.Single((await client.GetAsync($"after-{i}")).Siblings).ValueAsString);
        }
        Assert.Equal("v", Assert.Single((await client.GetAsync("before")).Siblings).ValueAsString);
    }
}
