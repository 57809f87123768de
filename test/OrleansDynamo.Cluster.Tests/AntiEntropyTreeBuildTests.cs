using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Storage;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AntiEntropyTestKit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 7: after a crash the trees are rebuilt lazily at a limited rate while writes go on, and lose none of them.</summary>
public sealed class AntiEntropyTreeBuildTests(ITestOutputHelper output)
{
    private const int Q = 16;

    [Fact]
    public async Task Trees_rebuilt_after_a_crash_while_writes_land_match_the_store_and_the_schedule_survives()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q,
            Configure = (_, o) =>
            {
                ShortSchedule(o, exchangeIntervalMs: 600_000);
                o.AntiEntropy.BuildKeysPerSecond = 150; // ~0.8 s per tree of ~125 keys: the builds overlap the writes below
                o.AntiEntropy.BuildPageSize = 10;
            },
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        await PutAsync(silo0, Enumerable.Range(0, 2000).Select(i => $"old-{i}"), k => Value(k.Length, 64));
        await cluster.Silo("silo1").AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(20), CancellationToken.None);
        await cluster.KillSiloAsync("silo1"); // a crash: no tree is saved (a graceful stop saves them: AntiEntropyTreeRestoreTests)
        await cluster.RestartSiloAsync("silo1");
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(20));
        var silo1 = cluster.Silo("silo1");
        Assert.Equal(0, silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesRestored));
        var schedule = AntiEntropySchedule.Decode((await silo1.Runtime.Store.Metadata.GetAsync(AntiEntropySchedule.MetadataKey))!);
        Assert.Equal(Q, schedule.Trees.Count); // the reminders survived the restart

        var repair = silo1.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None); // starts the rebuilds
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo1.AntiEntropy().Status().TreesBuilding > 0), TimeSpan.FromSeconds(10), "the rebuilds to start");
        await PutAsync(silo0, Enumerable.Range(0, 600).Select(i => $"new-{i}"), k => Value(k.Length, 64), parallel: 16);
        await PutAsync(silo0, Enumerable.Range(0, 300).Select(i => $"old-{i}"), k => Value(k.Length + 1, 64), parallel: 16);
        int buildingAtEnd = silo1.AntiEntropy().Status().TreesBuilding;
        var report = await repair;
        output.WriteLine($"{buildingAtEnd} tree(s) still building when the writes ended; {report.Describe().Split('\n')[0]}");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo1.AntiEntropy().Status().TreesReady == Q), TimeSpan.FromSeconds(30), "every tree built");
        await TestCluster.WaitUntilAsync(async () => await DifferenceAsync(cluster) is null, TimeSpan.FromSeconds(20), "the replicas to agree");

        for (int p = 0; p < Q; p++)
        {
            var actual = silo1.AntiEntropy().TreeRoot(new TreeId(p, 3));
            Assert.NotNull(actual);
            Assert.Equal(await StoredTreeAsync(silo1.Runtime, p), actual!.Value);
        }
        Assert.True(silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesBuilt) >= Q);
    }

    [Fact]
    public async Task Issue_16_a_tree_build_rests_between_pages_as_the_admission_pace_asks()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q,
            Configure = (_, o) =>
            {
                ShortSchedule(o, exchangeIntervalMs: 600_000); // no rate limit to speak of: only the pace holds a build back
                o.AntiEntropy.BuildPageSize = 20;
                o.Admission.StartPace = 0.05; // a build after a quiet window starts at 5 % of its time
                o.Admission.MinPace = 0.05;
                o.Admission.PaceStep = 0.01;
            },
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        await PutAsync(silo0, Enumerable.Range(0, 1000).Select(i => $"k-{i}"), k => Value(k.Length, 64));
        await cluster.KillSiloAsync("silo1"); // a crash: the trees are rebuilt from the store
        await cluster.RestartSiloAsync("silo1");
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(20));
        var silo1 = cluster.Silo("silo1");
        Assert.Equal(0, silo1.Runtime.Counters.Get(AntiEntropyCounters.BuildRestedMs));

        await silo1.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(60), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo1.AntiEntropy().Status().TreesReady == Q), TimeSpan.FromSeconds(60), "every tree built");
        long rested = silo1.Runtime.Counters.Get(AntiEntropyCounters.BuildRestedMs);
        output.WriteLine($"{Q} trees built; the builds rested {rested} ms at pace {silo1.Runtime.Admission.Pace:0.00}");
        Assert.True(silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesBuilt) >= Q);
        Assert.True(rested > 0, "the builds never rested: they ran at full speed under a pace of 5 %");
    }

    [Fact]
    public async Task Issue_20_a_joining_silo_builds_no_tree_of_a_partition_it_is_still_receiving()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, PartitionCount = 8, N = 2, R = 1, W = 1,
            Configure = (_, o) =>
            {
                ShortSchedule(o, exchangeIntervalMs: 600_000);
                o.Transfer.IntervalMs = 100;
                o.Transfer.KeysPerSecond = 2; // 60 keys: the join stays under way for the whole test
                o.Transfer.PageSize = 1;
            },
        });
        await PutAsync(cluster[0].Runtime, Enumerable.Range(0, 60).Select(i => $"k-{i}"), k => Value(k.Length, 64));
        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        var transfer = joined.Runtime.Feature<Silo.Transfer.OwnershipTransferFeature>()!;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(transfer.InboundPending().Count > 0), TimeSpan.FromSeconds(15), "the inbound transfers");

        var report = await joined.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(10), CancellationToken.None);
        var receiving = transfer.InboundPending();
        Assert.NotEmpty(receiving);
        var trees = joined.AntiEntropy().Status().Trees.ToDictionary(t => t.Tree);
        foreach (int p in receiving)
        {
            var id = new TreeId(p, 2);
            Assert.Equal("not built", trees.TryGetValue(id, out var t) ? t.State : "not built");
            var result = Assert.Single(report.Finished, r => r.Tree == id);
            Assert.Equal(ExchangeOutcome.Busy, result.Outcome);
        }
        output.WriteLine($"{receiving.Count} partitions still arriving: no tree built; {report.Describe().Split('\n')[0]}");
    }
}
