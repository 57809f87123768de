using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Storage;
using OrleansDynamo.TestingHost;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Shared steps of the anti-entropy cluster tests: fast writes, dropping hints, comparing replicas.</summary>
internal static class AntiEntropyTestKit
{
    /// <summary>
    /// Short reminders for tests: each tree exchanges every second. Hint delivery is pushed out of the test's
    /// time: a replica write hinted late (after <see cref="ClearHintsAsync"/> looked) would otherwise reach the
    /// stale replica by handoff, and anti-entropy would be left fewer keys to repair than the test counts.
    /// </summary>
    public static void ShortSchedule(SiloOptions o, int exchangeIntervalMs = 1000)
    {
        o.Hints.DeliveryIntervalMs = 600_000;
        o.AntiEntropy.ExchangeIntervalMs = exchangeIntervalMs;
        o.AntiEntropy.RetryIntervalMs = 300;
        o.AntiEntropy.TickIntervalMs = 100;
        o.AntiEntropy.BuildKeysPerSecond = 500_000;
        o.AntiEntropy.MaxConcurrentExchanges = 4;
    }

    public static byte[] Value(int i, int size)
    {
        var bytes = new byte[size];
        new Random(i).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Puts keys through one silo's coordinator, <paramref name="parallel"/> at a time.</summary>
    public static async Task PutAsync(SiloRuntime coordinator, IEnumerable<string> keys, Func<string, byte[]> value, int parallel = 64)
    {
        foreach (var batch in keys.Chunk(parallel))
            await Task.WhenAll(batch.Select(k => coordinator.Coordinator.PutAsync(new PutCommand("default", k, value(k), null), CancellationToken.None)));
    }

    /// <summary>Deletes keys with the contexts read earlier.</summary>
    public static async Task DeleteAsync(SiloRuntime coordinator, IReadOnlyDictionary<string, string> contexts, int parallel = 64)
    {
        foreach (var batch in contexts.Chunk(parallel))
            await Task.WhenAll(batch.Select(kv => coordinator.Coordinator.PutAsync(new PutCommand("default", kv.Key, [], kv.Value, Delete: true), CancellationToken.None)));
    }

    public static async Task<Dictionary<string, string>> ContextsAsync(SiloRuntime coordinator, IEnumerable<string> keys)
    {
        var contexts = new Dictionary<string, string>();
        foreach (var k in keys)
        {
            var got = await coordinator.Coordinator.GetAsync(new GetCommand("default", k, R: 3), CancellationToken.None);
            contexts[k] = VersionCodec.EncodeContext(got.Context);
        }
        return contexts;
    }

    /// <summary>
    /// Deletes every hint of every running silo (as if they had been lost). A failed replica write is
    /// hinted after the quorum answered, so this goes on until two rounds in a row find none.
    /// </summary>
    public static async Task ClearHintsAsync(TestCluster cluster)
    {
        int quiet = 0;
        await TestCluster.WaitUntilAsync(async () =>
        {
            int deleted = 0;
            foreach (var silo in cluster.Running)
            {
                var hints = silo.Runtime.Store.Hints;
                foreach (var target in (await hints.CountByTargetAsync()).Keys)
                {
                    while (await hints.ListAsync(target, 0, 1000) is { Count: > 0 } page)
                    {
                        await hints.DeleteAsync(page.Select(h => h.Id).ToList());
                        deleted += page.Count;
                    }
                }
            }
            quiet = deleted == 0 ? quiet + 1 : 0;
            return quiet >= 3;
        }, TimeSpan.FromSeconds(10), "the hint logs to stay empty");
    }

    /// <summary>Every key of one silo's store with the digest of its sibling set.</summary>
    public static async Task<Dictionary<string, ulong>> DigestsAsync(SiloRuntime silo)
    {
        var all = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (int p = 0; p < silo.Options.PartitionCount; p++)
        {
            ScanCursor? cursor = null;
            do
            {
                var page = await silo.Store.ScanAsync(p, cursor, 2000);
                foreach (var e in page.Entries) all[e.Key.ToString()] = VersionDigest.Of(e.Siblings);
                cursor = page.Next;
            } while (cursor is not null);
        }
        return all;
    }

    /// <summary>Null when every running silo holds the same keys with the same sets; else what differs.</summary>
    public static async Task<string?> DifferenceAsync(TestCluster cluster)
    {
        var silos = cluster.Running.ToList();
        var first = await DigestsAsync(silos[0].Runtime);
        foreach (var other in silos.Skip(1))
        {
            var theirs = await DigestsAsync(other.Runtime);
            int missing = first.Keys.Count(k => !theirs.ContainsKey(k)), extra = theirs.Keys.Count(k => !first.ContainsKey(k));
            int differ = first.Count(kv => theirs.TryGetValue(kv.Key, out var d) && d != kv.Value);
            if (missing + extra + differ > 0)
                return $"{other.Name} vs {silos[0].Name}: {missing} missing, {extra} extra, {differ} with other versions";
        }
        return null;
    }

    /// <summary>The root and key count of the tree of what <paramref name="silo"/> stores in <paramref name="partition"/> (every key: one bucket N).</summary>
    public static async Task<(ulong Root, long Keys)> StoredTreeAsync(SiloRuntime silo, int partition)
    {
        var entries = new List<(Core.Keys.KeyHash, ulong)>();
        Storage.ScanCursor? cursor = null;
        do
        {
            var page = await silo.Store.ScanAsync(partition, cursor, 1000);
            entries.AddRange(page.Entries.Select(e => (e.Hash, Core.AntiEntropy.VersionDigest.Of(e.Siblings))));
            cursor = page.Next;
        } while (cursor is not null);
        var tree = Core.AntiEntropy.MerkleTree.Build(entries);
        return (tree.Root, tree.KeyCount);
    }

    public static long Sum(TestCluster cluster, string counter) => cluster.Running.Sum(s => s.Runtime.Counters.Get(counter));

    public static AntiEntropyService AntiEntropy(this TestSilo silo) => silo.Runtime.Feature<AntiEntropyService>()!;
}
