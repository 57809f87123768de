using System.Diagnostics;
using OrleansDynamo.Client;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 6: writes are accepted while silos are down or cut off (sloppy quorum), and reach every replica afterwards.</summary>
public sealed class AlwaysWriteableTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_two_of_three_replicas_stopped_a_W2_put_succeeds_through_a_stand_in_and_reaches_them_after_restart()
    {
        // Stray-copy removal is off by default (see HintOptions.RemoveStrayData); this test turns it on to check it.
        await using var cluster = await TestCluster.StartAsync(Options(5, (_, o) => o.Hints.RemoveStrayData = true));
        const string key = "cart-alice";
        var pl = cluster.PreferenceList("default", key, 3);
        await cluster.StopSiloAsync(pl[1]);
        await cluster.StopSiloAsync(pl[2]);
        await WaitUnreachableAsync(cluster, pl[0], pl[1], pl[2]);

        var client = await cluster.CreateClientAsync();
        await client.PutAsync("default", key, "[book]", options: new PutOptions { W = 2 });

        var standIns = new List<string>();
        foreach (var s in cluster.Running.Where(s => !pl.Contains(s.Name)))
        {
            if (await HintsForAsync(cluster, s.Name, pl[1]) + await HintsForAsync(cluster, s.Name, pl[2]) > 0) standIns.Add(s.Name);
        }
        Assert.NotEmpty(standIns);
        foreach (var s in standIns) Assert.True(await StoreHoldsAsync(cluster, s, key, "[book]"), $"stand-in {s} holds the write");

        var restarted = Stopwatch.StartNew();
        await cluster.RestartSiloAsync(pl[1]);
        await cluster.RestartSiloAsync(pl[2]);
        await TestCluster.WaitUntilAsync(async () =>
            await StoreHoldsAsync(cluster, pl[1], key, "[book]") && await StoreHoldsAsync(cluster, pl[2], key, "[book]") && await AllHintsAsync(cluster) == 0,
            Bound, "the hinted write on both restarted replicas and every hint log empty");
        output.WriteLine($"hints delivered {restarted.ElapsedMilliseconds} ms after the restarts began");

        foreach (var s in standIns)
        {
            Assert.Empty(await cluster.Silo(s).Runtime.Store.Hints.CountByTargetAsync());
            await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silo(s).Runtime.Counters.Get("hints_delivered") >= 1),
                Bound, $"{s} to count its deliveries");
        }
        // The stand-ins are not replicas of the key: once the primaries hold it, they drop their copy.
        await TestCluster.WaitUntilAsync(async () =>
        {
            foreach (var s in standIns)
            {
                if (await cluster.ReadStoreAsync(s, "default", key) is not null) return false;
            }
            return true;
        }, Bound, "the stand-ins to remove the key they only held for others");
        Assert.True(await StoreHoldsAsync(cluster, pl[0], key, "[book]"));
    }

    [Fact]
    public async Task With_four_of_five_silos_cut_off_from_the_coordinator_a_W1_put_succeeds_and_reaches_every_replica_after_healing()
    {
        await using var cluster = await TestCluster.StartAsync(Options(5));
        const string key = "cart-bob";
        var pl = cluster.PreferenceList("default", key, 3);
        string coordinator = pl[0];
        var others = cluster.Silos.Select(s => s.Name).Where(n => n != coordinator).ToArray();
        foreach (var o in others) cluster.Cut(coordinator, o);
        await WaitUnreachableAsync(cluster, coordinator, others);

        var client = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.Server, coordinator);
        await client.PutAsync("default", key, "[lamp]", options: new PutOptions { W = 1 });
        Assert.True(await StoreHoldsAsync(cluster, coordinator, key, "[lamp]"));
        await TestCluster.WaitUntilAsync(async () => await HintsForAsync(cluster, coordinator, pl[1]) == 1 && await HintsForAsync(cluster, coordinator, pl[2]) == 1,
            Bound, $"{coordinator} to keep a hint for each replica it could not reach");
        Assert.False(await StoreHoldsAsync(cluster, pl[1], key, "[lamp]"));

        var healed = Stopwatch.StartNew();
        cluster.HealAll();
        await TestCluster.WaitUntilAsync(async () =>
        {
            foreach (var replica in pl)
            {
                if (!await StoreHoldsAsync(cluster, replica, key, "[lamp]")) return false;
            }
            return await AllHintsAsync(cluster) == 0;
        }, Bound, "the write on all three replicas after healing");
        output.WriteLine($"value on all N replicas {healed.ElapsedMilliseconds} ms after healing");
        // Delivery deletes the hints, then counts them: the counter may trail the empty log by a moment.
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silo(coordinator).Runtime.Counters.Get("hints_delivered") >= 2),
            Bound, $"{coordinator} to count both deliveries");
        Assert.Equal(2, cluster.Silo(coordinator).Runtime.Counters.Get("hints_delivered"));
    }

    [Fact]
    public async Task Both_sides_of_a_3_2_partition_accept_writes_and_after_healing_a_get_returns_both_as_siblings_until_a_merged_put()
    {
        await using var cluster = await TestCluster.StartAsync(Options(5));
        const string key = "cart-carol";
        var pl = cluster.PreferenceList("default", key, 3);
        var fallbacks = cluster.Silos.Select(s => s.Name).Where(n => !pl.Contains(n)).ToArray();
        string[] sideA = [pl[0], pl[1], fallbacks[0]];
        string[] sideB = [pl[2], fallbacks[1]];

        var setup = await cluster.CreateClientAsync();
        var initial = await setup.PutAsync("default", key, "[]", options: new PutOptions { W = 3 });

        cluster.Partition(sideA, sideB);
        await WaitUnreachableAsync(cluster, pl[0], sideB);
        await WaitUnreachableAsync(cluster, pl[2], sideA);
        var clientA = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.Server, pl[0]);
        var clientB = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.Server, pl[2]);

        await clientA.PutAsync("default", key, "[book]", initial, new PutOptions { W = 2 });
        await clientB.PutAsync("default", key, "[pen]", initial, new PutOptions { W = 2 });
        Assert.True(await StoreHoldsAsync(cluster, pl[0], key, "[book]"));
        Assert.True(await StoreHoldsAsync(cluster, pl[2], key, "[pen]"));

        cluster.HealAll();
        GetResult? merged = null;
        await TestCluster.WaitUntilAsync(async () =>
        {
            merged = await clientA.GetAsync("default", key, new GetOptions { R = 3 });
            return merged.Siblings.Count == 2;
        }, Bound, "a get to return both sides' writes");
        Assert.Equal(["[book]", "[pen]"], merged!.Siblings.Select(s => s.ValueAsString).Order(StringComparer.Ordinal).ToArray());

        await clientA.PutAsync("default", key, "[book,pen]", merged.Context, new PutOptions { W = 2 });
        var resolved = await clientB.GetAsync("default", key, new GetOptions { R = 3 });
        Assert.Equal("[book,pen]", Assert.Single(resolved.Siblings).ValueAsString);
    }
}
