using System.Collections.Concurrent;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Ring;
using OrleansDynamo.Silo.Transfer;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 5: ownership transfer when a silo joins and when one leaves, under a steady write load.</summary>
public sealed class HandoffTests(ITestOutputHelper output)
{
    private const int Q = 64;
    private const int N = 3;

    private static TestClusterOptions Options() => new()
    {
        Silos = 3,
        PartitionCount = Q,
        Configure = (_, o) =>
        {
            o.Transfer.IntervalMs = 200;
            o.Transfer.KeysPerSecond = 20_000;
        },
    };

    private static HashSet<int> ChangedPartitions(RingSnapshot before, RingSnapshot after)
    {
        var changed = new HashSet<int>();
        for (int p = 0; p < Q; p++)
        {
            if (!before.PreferenceListFor(p, N).Primaries.SequenceEqual(after.PreferenceListFor(p, N).Primaries)) changed.Add(p);
        }
        return changed;
    }

    private static async Task<bool> HoldsOnlyOwnedPartitionsAsync(TestCluster cluster)
    {
        foreach (var silo in cluster.Running)
        {
            var runtime = silo.Runtime;
            var ring = runtime.Membership.State.Ring!;
            var owned = ring.PartitionsOf(silo.Name, N).ToHashSet();
            var held = await runtime.Store.SummarizeAllAsync();
            if (held.Any(s => s.KeyCount > 0 && !owned.Contains(s.Partition))) return false;
            if (runtime.Feature<OwnershipTransferFeature>()!.Busy) return false;
        }
        return true;
    }

    [Fact]
    public async Task A_join_then_a_leave_under_writes_loses_no_acknowledged_write_and_moves_only_claimed_partitions()
    {
        await using var cluster = await TestCluster.StartAsync(Options());
        var client = await cluster.CreateClientAsync();
        var ring3 = cluster[0].Runtime.Membership.State.Ring!;

        const int writers = 4, perWriter = 500;
        var acked = new ConcurrentDictionary<string, string>();
        int failed = 0, done = 0;
        var load = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < perWriter; i++)
            {
                string key = $"w{w}-{i}", value = $"v{w}-{i}";
                try
                {
                    await client.PutAsync("default", key, value);
                    acked[key] = value;
                }
                catch (DynamoException)
                {
                    Interlocked.Increment(ref failed);
                }
                Interlocked.Increment(ref done);
            }
        })).ToList();

        await TestCluster.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref done) >= 400), TimeSpan.FromSeconds(30), "the first 400 writes");
        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        var ring4 = cluster[0].Runtime.Membership.State.Ring!;
        Assert.Equal(4, ring4.Members.Length);

        await TestCluster.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref done) >= 1200), TimeSpan.FromSeconds(30), "1200 writes");
        await client.LeaveAsync("silo1");
        await Task.WhenAll(load);

        var leaver = cluster.Silo("silo1").Runtime;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => s.Runtime.Membership.State.Member("silo1")?.Status == MemberStatus.Left)),
            TimeSpan.FromSeconds(40), "silo1 to hand off everything and be recorded as left everywhere");
        await TestCluster.WaitUntilAsync(() => HoldsOnlyOwnedPartitionsAsync(cluster), TimeSpan.FromSeconds(30), "every transfer to finish");
        var final = cluster[0].Runtime.Membership.State.Ring!;
        Assert.Equal(["silo0", "silo2", joined.Name], final.Members.Select(m => m.Name).Order());
        Assert.Empty(await leaver.Store.SummarizeAllAsync());

        // Every acknowledged write is readable with R = N.
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(acked, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (kv, ct) =>
        {
            var got = await client.GetAsync("default", kv.Key, new GetOptions { R = N }, ct);
            if (!got.Found || got.Siblings.All(s => s.ValueAsString != kv.Value)) missing.Add(kv.Key);
        });
        Assert.True(missing.IsEmpty, $"{missing.Count} acknowledged writes lost, e.g. {string.Join(", ", missing.Take(5))}");

        // Balance: each silo owns within one of Q/S partitions.
        foreach (var (silo, count) in final.PartitionCounts())
            Assert.InRange(count, Q / 3, (Q + 2) / 3);

        // Only partitions whose preference list the claim changed were transferred.
        var changedByJoin = ChangedPartitions(ring3, ring4);
        var changedByLeave = ChangedPartitions(ring4, final);
        var transfers = cluster.Running.SelectMany(s => s.Runtime.Feature<OwnershipTransferFeature>()!.Completed).ToList();
        foreach (var t in transfers)
            Assert.True(changedByJoin.Contains(t.Partition) || changedByLeave.Contains(t.Partition), $"partition {t.Partition} moved from {t.FromSilo} though the claim did not move it");
        int ownersMovedByJoin = Enumerable.Range(0, Q).Count(p => ring3.Owners[p] != ring4.Owners[p]);
        int ownersMovedByLeave = Enumerable.Range(0, Q).Count(p => ring4.Owners[p] != final.Owners[p]);
        output.WriteLine($"acked {acked.Count} of {writers * perWriter} writes ({failed} failed); join: {ownersMovedByJoin} owners moved, {changedByJoin.Count} preference lists changed; " +
            $"leave: {ownersMovedByLeave} owners moved, {changedByLeave.Count} preference lists changed; {transfers.Count} partition replicas handed off " +
            $"({transfers.Select(t => t.Partition).Distinct().Count()} distinct partitions, {transfers.Sum(t => t.KeysSent)} keys)");
        Assert.InRange(ownersMovedByJoin, 1, Q / 4 + 2);
        Assert.InRange(ownersMovedByLeave, 1, Q / 4 + 2);
        Assert.True(acked.Count >= writers * perWriter * 9 / 10, $"only {acked.Count} writes were acknowledged");
    }
}
