using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Storage.Tests;

/// <summary>What a store holds, read back by scans, and what a test expects it to hold (a model kept beside it).</summary>
internal sealed class LogStoreContents
{
    private readonly Dictionary<(int Partition, DynamoKey Key), SiblingSet> _expected = [];

    public IReadOnlyDictionary<(int Partition, DynamoKey Key), SiblingSet> Expected => _expected;

    public async Task WriteAsync(IPartitionStore store, int partition, DynamoKey key, SiblingSet set)
    {
        await store.WriteAsync(partition, key, set);
        lock (_expected) _expected[(partition, key)] = set;
    }

    public async Task<bool> RemoveAsync(IPartitionStore store, int partition, DynamoKey key, SiblingSet? expected = null)
    {
        bool removed = await store.RemoveAsync(partition, key, expected);
        lock (_expected)
        {
            bool present = _expected.TryGetValue((partition, key), out var stored);
            Assert.Equal(present && (expected is null || stored!.Equals(expected)), removed);
            if (removed) _expected.Remove((partition, key));
        }
        return removed;
    }

    public async Task DropAsync(IPartitionStore store, int partition)
    {
        await store.DropPartitionAsync(partition);
        lock (_expected)
        {
            foreach (var k in _expected.Keys.Where(k => k.Partition == partition).ToList()) _expected.Remove(k);
        }
    }

    /// <summary>Asserts the store holds exactly the expected keys and sets, by scans, reads and summaries.</summary>
    public async Task AssertHeldBy(IPartitionStore store, IEnumerable<int> partitions)
    {
        var held = await ReadAll(store, partitions);
        var expected = _expected.Where(kv => partitions.Contains(kv.Key.Partition)).ToDictionary();
        foreach (var (k, set) in expected)
        {
            Assert.True(held.TryGetValue(k, out var found), $"key {k.Key} of partition {k.Partition} is missing");
            Assert.Equal(set, found);
            Assert.Equal(set, await store.ReadAsync(k.Partition, k.Key));
        }
        foreach (var k in held.Keys) Assert.True(expected.ContainsKey(k), $"key {k.Key} of partition {k.Partition} came back");
        foreach (int p in partitions)
        {
            var mine = expected.Where(kv => kv.Key.Partition == p).ToList();
            Assert.Equal(new PartitionSummary(p, mine.Count, mine.Sum(kv => (long)VersionCodec.EncodeSiblingSet(kv.Value).Length)), await store.SummarizeAsync(p));
        }
    }

    /// <summary>Every key of the partitions, by scans of 37 keys a page.</summary>
    public static async Task<Dictionary<(int Partition, DynamoKey Key), SiblingSet>> ReadAll(IPartitionStore store, IEnumerable<int> partitions)
    {
        var all = new Dictionary<(int, DynamoKey), SiblingSet>();
        foreach (int p in partitions)
        {
            ScanCursor? cursor = null;
            do
            {
                var page = await store.ScanAsync(p, cursor, 37);
                Assert.Empty(page.Undecodable);
                foreach (var e in page.Entries) all.Add((p, e.Key), e.Siblings);
                cursor = page.Next;
            }
            while (cursor is not null);
        }
        return all;
    }
}
