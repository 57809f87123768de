using OrleansDynamo.Core.Keys;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AntiEntropyTestKit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 16: a graceful stop saves the built Merkle trees and the next start restores them, so a restarted silo does not
/// scan its store again; the snapshot is used once, a crash leaves none, and a damaged one is refused.
/// </summary>
public sealed class AntiEntropyTreeRestoreTests(ITestOutputHelper output)
{
    private const int Q = 16;

    [Fact]
    public async Task Trees_saved_at_a_graceful_stop_are_restored_ready_at_the_next_start_stay_current_and_a_crash_leaves_none()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q,
            Configure = (_, o) => ShortSchedule(o, exchangeIntervalMs: 600_000), // exchanges (and builds) only when asked
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        await PutAsync(silo0, Enumerable.Range(0, 1500).Select(i => $"k-{i}"), k => Value(k.Length, 64));
        await cluster.Silo("silo1").AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silo("silo1").AntiEntropy().Status().TreesReady == Q),
            TimeSpan.FromSeconds(30), "every tree of silo1 built");
        var before = Enumerable.Range(0, Q).Select(p => cluster.Silo("silo1").AntiEntropy().TreeRoot(new TreeId(p, 3))!.Value).ToList();

        await cluster.StopSiloAsync("silo1");
        await cluster.RestartSiloAsync("silo1");
        var silo1 = cluster.Silo("silo1");
        // Ready at once, with no scan of the store, and equal to the trees of what the store holds.
        Assert.Equal(Q, silo1.AntiEntropy().Status().TreesReady);
        Assert.Equal(Q, silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesRestored));
        Assert.Equal(0, silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesBuilt));
        Assert.Null(await silo1.Runtime.Store.Metadata.GetAsync(TreeSnapshot.MetadataKey)); // used once
        for (int p = 0; p < Q; p++)
        {
            Assert.Equal(before[p], silo1.AntiEntropy().TreeRoot(new TreeId(p, 3))!.Value);
            Assert.Equal(await StoredTreeAsync(silo1.Runtime, p), before[p]);
        }

        // Writes after the start change the restored trees as they change the store.
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(20));
        await PutAsync(silo0, Enumerable.Range(0, 300).Select(i => $"k-{i}"), k => Value(k.Length + 1, 64));
        await PutAsync(silo0, Enumerable.Range(0, 300).Select(i => $"new-{i}"), k => Value(k.Length, 64));
        await TestCluster.WaitUntilAsync(async () => (await DigestsAsync(silo1.Runtime)).Count == 1800, TimeSpan.FromSeconds(20),
            "silo1 to store every key");
        for (int p = 0; p < Q; p++) Assert.Equal(await StoredTreeAsync(silo1.Runtime, p), silo1.AntiEntropy().TreeRoot(new TreeId(p, 3))!.Value);
        Assert.Equal(0, silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesBuilt));

        // A crash saves nothing, and the snapshot of the earlier stop is gone: the trees are built from the store.
        await cluster.KillSiloAsync("silo1");
        await cluster.RestartSiloAsync("silo1");
        silo1 = cluster.Silo("silo1");
        Assert.Equal(0, silo1.AntiEntropy().Status().TreesReady);
        Assert.Equal(0, silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesRestored));
        await silo1.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo1.AntiEntropy().Status().TreesReady == Q), TimeSpan.FromSeconds(30),
            "every tree of silo1 built again");
        for (int p = 0; p < Q; p++) Assert.Equal(await StoredTreeAsync(silo1.Runtime, p), silo1.AntiEntropy().TreeRoot(new TreeId(p, 3))!.Value);
        Assert.True(silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesBuilt) >= Q);
        output.WriteLine($"{Q} trees restored after a graceful stop; {silo1.Runtime.Counters.Get(AntiEntropyCounters.TreesBuilt)} built after the crash");
    }

    [Fact]
    public async Task A_damaged_snapshot_is_refused_and_deleted_and_the_trees_are_built_from_the_store()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, PartitionCount = Q,
            Configure = (_, o) => ShortSchedule(o, exchangeIntervalMs: 600_000),
        });
        var silo = cluster.Silo("silo0");
        await PutAsync(silo.Runtime, Enumerable.Range(0, 300).Select(i => $"k-{i}"), k => Value(k.Length, 64));
        await silo.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo.AntiEntropy().Status().TreesReady == Q), TimeSpan.FromSeconds(30), "every tree built");
        await cluster.StopSiloAsync("silo0");
        await cluster.RestartSiloAsync("silo0");
        Assert.Equal(Q, cluster.Silo("silo0").Runtime.Counters.Get(AntiEntropyCounters.TreesRestored));

        // A snapshot cut short (as a damaged one would read) in place of the next stop's.
        await cluster.StopSiloAsync("silo0");
        await using (var store = Silo.Hosting.SiloHost.OpenStore(cluster.Silo("silo0").Options))
        {
            var saved = await store.Metadata.GetAsync(TreeSnapshot.MetadataKey);
            Assert.NotNull(saved);
            await store.Metadata.SetAsync(TreeSnapshot.MetadataKey, saved![..(saved.Length / 2)]);
        }
        await cluster.RestartSiloAsync("silo0");
        silo = cluster.Silo("silo0");
        Assert.Equal(0, silo.Runtime.Counters.Get(AntiEntropyCounters.TreesRestored));
        Assert.Equal(0, silo.AntiEntropy().Status().TreesReady);
        Assert.Null(await silo.Runtime.Store.Metadata.GetAsync(TreeSnapshot.MetadataKey));
        await silo.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo.AntiEntropy().Status().TreesReady == Q), TimeSpan.FromSeconds(30), "every tree built");
        for (int p = 0; p < Q; p++) Assert.Equal(await StoredTreeAsync(silo.Runtime, p), silo.AntiEntropy().TreeRoot(new TreeId(p, 3))!.Value);
    }

    [Fact]
    public void The_snapshot_format_round_trips_and_refuses_what_contradicts_itself()
    {
        var a = KeyHash.Of("default", "a");
        var b = KeyHash.Of("default", "b");
        var snapshot = new TreeSnapshot(
        [
            new TreeSnapshotEntry(new TreeId(5, 3), 1234, [new(a, 11UL), new(b, 12UL)], [new(b, 99L)]),
            new TreeSnapshotEntry(new TreeId(6, 2), 5678, [], []),
        ]);
        byte[] bytes = snapshot.Encode();
        var back = TreeSnapshot.Decode(bytes);
        Assert.Equal(2, back.Trees.Count);
        Assert.Equal((new TreeId(5, 3), 1234L), (back.Trees[0].Id, back.Trees[0].BuiltAtMs));
        Assert.Equal(snapshot.Trees[0].Digests, back.Trees[0].Digests);
        Assert.Equal(snapshot.Trees[0].Tombstones, back.Trees[0].Tombstones);

        Assert.Contains("ends early", Assert.Throws<FormatException>(() => TreeSnapshot.Decode(bytes[..^4])).Message);
        Assert.Contains("trailing", Assert.Throws<FormatException>(() => TreeSnapshot.Decode([.. bytes, 0])).Message);
        Assert.Contains("unknown format", Assert.Throws<FormatException>(() => TreeSnapshot.Decode([9, .. bytes[1..]])).Message);
        // The same layout saved by the release whose digests hashed the values: its digests are not this release's.
        Assert.Contains("older release", Assert.Throws<FormatException>(() => TreeSnapshot.Decode([1, .. bytes[1..]])).Message);
        var orphan = new TreeSnapshot([new TreeSnapshotEntry(new TreeId(1, 3), 0, [new(a, 1UL)], [new(b, 2L)])]);
        Assert.Contains("without its digest", Assert.Throws<FormatException>(() => TreeSnapshot.Decode(orphan.Encode())).Message);
        var twice = new TreeSnapshot([new TreeSnapshotEntry(new TreeId(1, 3), 0, [new(a, 1UL), new(a, 2UL)], [])]);
        Assert.Contains("twice", Assert.Throws<FormatException>(() => TreeSnapshot.Decode(twice.Encode())).Message);
    }

    [Fact]
    public void A_tree_max_age_that_is_not_positive_is_refused_naming_the_field()
    {
        Assert.Contains(new AntiEntropyOptions { TreeMaxAgeMs = 0 }.Validate(), e => e.Contains("AntiEntropy:TreeMaxAgeMs must be positive, got 0"));
        Assert.DoesNotContain(new AntiEntropyOptions().Validate(), e => e.Contains("TreeMaxAgeMs"));
    }
}
