using OrleansDynamo.Client;
using OrleansDynamo.TestingHost;
using Xunit;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 6: a get repairs stale replicas in the background, without anti-entropy or hinted handoff.</summary>
public sealed class ReadRepairTests
{
    // Anti-entropy off and hints held back, so only read repair can bring the stale replica up to date.
    internal static TestClusterOptions NoOtherRepair() => Options(3, (_, o) =>
    {
        o.AntiEntropy.Enabled = false;
        o.Hints.DeliveryIntervalMs = 600_000;
    });

    [Theory]
    [InlineData(3)]
    [InlineData(1)]
    public async Task A_replica_with_a_stale_version_is_repaired_by_a_get(int r)
    {
        await using var cluster = await TestCluster.StartAsync(NoOtherRepair());
        string key = "cart-erin-r" + r;
        var client = await cluster.CreateClientAsync();
        string stale = await LeaveOneReplicaStaleAsync(cluster, client, key);
        long repairsBefore = cluster.Silos.Sum(s => s.Runtime.Counters.Get("read_repairs"));

        // With R=1 the coordinator answers after the first reply: the stale replica's late reply is repaired too.
        var got = await client.GetAsync("default", key, new GetOptions { R = (uint)r });
        Assert.Equal("v2", Assert.Single(got.Siblings).ValueAsString);
        await TestCluster.WaitUntilAsync(() => StoreHoldsAsync(cluster, stale, key, "v2"), Bound, $"read repair of {stale}");
        Assert.True(cluster.Silos.Sum(s => s.Runtime.Counters.Get("read_repairs")) > repairsBefore);
        Assert.Equal(0, cluster.Silos.Sum(s => s.Runtime.Counters.Get("hints_delivered:" + stale)));
    }

    /// <summary>
    /// Writes v1 to all three replicas of <paramref name="key"/>, then v2 with the link from its first replica to its
    /// third cut, and heals: returns the third, which holds only v1 (anti-entropy and hints off: <see cref="NoOtherRepair"/>).
    /// </summary>
    internal static async Task<string> LeaveOneReplicaStaleAsync(TestCluster cluster, DynamoClient client, string key)
    {
        // Until start-up transfers settle, a replica reads through to old owners and would repair itself.
        await cluster.WaitForTransfersAsync(Bound);
        var pl = cluster.PreferenceList("default", key, 3);
        var first = await client.PutAsync("default", key, "v1", options: new PutOptions { W = 3 });
        string stale = pl[2];
        cluster.Cut(pl[0], stale);
        await client.PutAsync("default", key, "v2", first, new PutOptions { W = 2 });
        cluster.HealAll();
        Assert.True(await StoreHoldsAsync(cluster, stale, key, "v1"), $"{stale} missed v2");
        return stale;
    }

    [Fact]
    public async Task A_replica_that_missed_a_typed_write_gets_the_value_with_its_content_type_from_a_get()
    {
        await using var cluster = await TestCluster.StartAsync(NoOtherRepair());
        await cluster.WaitForTransfersAsync(Bound);
        const string key = "typed-cart";
        var pl = cluster.PreferenceList("default", key, 3);
        var client = await cluster.CreateClientAsync();
        var first = await client.PutAsync("default", key, "v1", options: new PutOptions { W = 3, ContentType = "text/plain" });

        string stale = pl[2];
        cluster.Cut(pl[0], stale);
        await client.PutAsync("default", key, "[\"v2\"]", first, new PutOptions { W = 2, ContentType = "application/json; charset=utf-8" });
        cluster.HealAll();
        Assert.Equal("text/plain", Assert.Single((await cluster.ReadStoreAsync(stale, "default", key))!.Siblings).ContentType);

        // The SDK answers the type the put gave, and the get's read repair carries it to the stale replica's store.
        var got = Assert.Single((await client.GetAsync("default", key, new GetOptions { R = 3 })).Siblings);
        Assert.Equal(("[\"v2\"]", "application/json; charset=utf-8"), (got.ValueAsString, got.ContentType));
        await TestCluster.WaitUntilAsync(() => StoreHoldsAsync(cluster, stale, key, "[\"v2\"]"), Bound, $"read repair of {stale}");
        foreach (var silo in pl)
            Assert.Equal("application/json; charset=utf-8", Assert.Single((await cluster.ReadStoreAsync(silo, "default", key))!.Siblings).ContentType);
    }
}
