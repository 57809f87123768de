using OrleansDynamo.Core.Keys;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AntiEntropyTestKit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 7: tombstone GC never lets a deleted key come back from a replica that missed the delete.</summary>
public sealed class AntiEntropyTombstoneTests(ITestOutputHelper output)
{
    private const int Q = 16;
    private const int GraceMs = 1500;

    [Fact]
    public async Task A_delete_missed_by_one_replica_is_not_collected_until_that_replica_holds_the_tombstone_and_the_key_never_comes_back()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q, StorageEngine = "memory",
            Configure = (_, o) =>
            {
                ShortSchedule(o);
                o.AntiEntropy.TombstoneGraceMs = GraceMs;
            },
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        const string key = "doomed";
        var keys = new[] { key, "kept-1", "kept-2" };
        await PutAsync(silo0, keys, k => Value(k.Length, 100));
        await TestCluster.WaitUntilAsync(async () => await DifferenceAsync(cluster) is null, TimeSpan.FromSeconds(10), "three replicas of the keys");
        var contexts = await ContextsAsync(silo0, [key]);
        int partition = new DynamoKey("default", key).Hash.Partition(Q);
        var tree = new TreeId(partition, 3);

        cluster.Partition(["silo2"], ["silo0", "silo1"]);
        await DeleteAsync(silo0, contexts);
        await ClearHintsAsync(cluster);
        Assert.True((await cluster.ReadStoreAsync("silo0", "default", key))!.IsDeleted);
        Assert.False((await cluster.ReadStoreAsync("silo2", "default", key))!.IsDeleted);

        // Past the grace period, silo0 and silo1 exchange the partition again and again: the tombstone
        // stays, because silo2 (in the preference list) cannot confirm it holds it.
        var deletedAt = DateTime.UtcNow;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(DateTime.UtcNow >= deletedAt.AddMilliseconds(GraceMs)), TimeSpan.FromSeconds(5), "the grace period");
        long Exchanges(string silo) => cluster.Silo(silo).AntiEntropy().Status().Trees.Single(t => t.Tree == tree).Exchanges;
        long before0 = Exchanges("silo0"), before1 = Exchanges("silo1");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Exchanges("silo0") >= before0 + 2 && Exchanges("silo1") >= before1 + 2),
            TimeSpan.FromSeconds(20), "two more exchanges of the partition on silo0 and silo1 after the grace period");
        foreach (var s in new[] { "silo0", "silo1" })
            Assert.True((await cluster.ReadStoreAsync(s, "default", key))?.IsDeleted, $"{s} collected a tombstone silo2 does not hold");
        Assert.Equal(0, Sum(cluster, AntiEntropyCounters.TombstonesRemoved));
        output.WriteLine($"tombstone kept on silo0 and silo1 for {(DateTime.UtcNow - deletedAt).TotalSeconds:0.0} s while silo2 was cut off");

        cluster.HealAll();
        await TestCluster.WaitUntilAsync(async () =>
        {
            foreach (var s in cluster.Silos)
                if (await cluster.ReadStoreAsync(s.Name, "default", key) is not null) return false;
            return true;
        }, TimeSpan.FromSeconds(30), "the tombstone to reach silo2 and then be collected on every replica");
        output.WriteLine($"collected everywhere {(DateTime.UtcNow - deletedAt).TotalSeconds:0.0} s after the delete; " +
            $"{Sum(cluster, AntiEntropyCounters.TombstonesRemoved)} tombstone removal(s)");

        // More exchanges: nothing brings the key back, the other keys are untouched.
        long after0 = Exchanges("silo0"), after2 = Exchanges("silo2");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Exchanges("silo0") >= after0 + 2 && Exchanges("silo2") >= after2 + 2),
            TimeSpan.FromSeconds(20), "two more exchanges after the collection");
        foreach (var s in cluster.Silos)
        {
            Assert.Null(await cluster.ReadStoreAsync(s.Name, "default", key));
            Assert.NotNull(await cluster.ReadStoreAsync(s.Name, "default", "kept-1"));
        }
        var got = await silo0.Coordinator.GetAsync(new GetCommand("default", key, R: 3), CancellationToken.None);
        Assert.False(got.Found);
        Assert.True(Sum(cluster, AntiEntropyCounters.TombstonesRemoved) >= 3);
    }
}
