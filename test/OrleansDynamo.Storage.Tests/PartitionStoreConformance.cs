using OrleansDynamo.Core.Versioning;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// The one suite every <see cref="IPartitionStore"/> must pass (riak_kv's backend_eqc habit). A subclass
/// supplies the engine; hint and metadata tests live in the other part of this class.
/// </summary>
public abstract partial class PartitionStoreConformance : IAsyncLifetime
{
    protected IPartitionStore Store { get; private set; } = null!;

    /// <summary>Opens a fresh, empty store (each test gets its own).</summary>
    protected abstract IPartitionStore CreateStore();

    /// <summary>Releases anything <see cref="CreateStore"/> made besides the store.</summary>
    protected virtual void Cleanup()
    {
    }

    public Task InitializeAsync()
    {
        Store = CreateStore();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Cleanup();
    }

    [Fact]
    public async Task Written_set_reads_back_equal()
    {
        var set = Value("hello");
        await Store.WriteAsync(1, Key("k"), set);
        Assert.Equal(set, await Store.ReadAsync(1, Key("k")));
    }

    [Fact]
    public async Task Absent_key_reads_null_and_partitions_and_buckets_are_separate()
    {
        await Store.WriteAsync(1, Key("k", "b1"), Value("one"));
        Assert.Null(await Store.ReadAsync(1, Key("other")));
        Assert.Null(await Store.ReadAsync(2, Key("k", "b1")));
        Assert.Null(await Store.ReadAsync(1, Key("k", "b2")));
    }

    [Fact]
    public async Task Overwrite_replaces_the_set()
    {
        await Store.WriteAsync(1, Key("k"), Value("first"));
        var second = Value("second", "silo-b");
        await Store.WriteAsync(1, Key("k"), second);
        Assert.Equal(second, await Store.ReadAsync(1, Key("k")));
        Assert.Equal(1, (await Store.SummarizeAsync(1)).KeyCount);
    }

    [Fact]
    public async Task Tombstones_and_concurrent_siblings_round_trip()
    {
        var tomb = Tombstone();
        var mixed = ValueAndTombstone();
        await Store.WriteAsync(1, Key("gone"), tomb);
        await Store.WriteAsync(1, Key("mixed"), mixed);
        var readTomb = await Store.ReadAsync(1, Key("gone"));
        var readMixed = await Store.ReadAsync(1, Key("mixed"));
        Assert.Equal(tomb, readTomb);
        Assert.True(readTomb!.IsDeleted);
        Assert.Equal(mixed, readMixed);
        Assert.Equal(2, readMixed!.Siblings.Length);
    }

    [Fact]
    public async Task Content_types_round_trip_through_reads_scans_hints_and_remove_expected()
    {
        var typed = TypedAndUntyped();
        await Store.WriteAsync(1, Key("typed"), typed);
        var read = await Store.ReadAsync(1, Key("typed"));
        Assert.Equal(typed, read);
        Assert.Equal(["application/json", null], read!.Siblings.Select(s => s.ContentType));
        Assert.Equal(typed, Assert.Single((await Store.ScanAsync(1, null, 10)).Entries).Siblings);
        Assert.Equal(VersionCodec.EncodeSiblingSet(typed).Length, (await Store.SummarizeAsync(1)).Bytes);

        await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("typed"), typed, Now));
        Assert.Equal(typed, Assert.Single(await Store.Hints.ListAsync("silo-b", 0, 10)).Hint.Siblings);

        // The same dots and values with another type are another set: a removal expecting it leaves the stored one.
        Assert.False(await Store.RemoveAsync(1, Key("typed"), TypedAndUntyped("text/plain")));
        Assert.True(await Store.RemoveAsync(1, Key("typed"), TypedAndUntyped()));
    }

    [Fact]
    public async Task Stored_value_is_isolated_from_the_callers_array()
    {
        var bytes = new byte[] { 1, 2, 3 };
        await Store.WriteAsync(1, Key("k"), Value(bytes));
        bytes[0] = 99;
        Assert.Equal(new byte[] { 1, 2, 3 }, (await Store.ReadAsync(1, Key("k")))!.Siblings[0].Value);
    }

    [Fact]
    public async Task Remove_without_expected_removes_once()
    {
        await Store.WriteAsync(1, Key("k"), Value("v"));
        Assert.True(await Store.RemoveAsync(1, Key("k")));
        Assert.Null(await Store.ReadAsync(1, Key("k")));
        Assert.False(await Store.RemoveAsync(1, Key("k")));
        Assert.False(await Store.RemoveAsync(7, Key("never")));
    }

    [Fact]
    public async Task Remove_with_expected_removes_only_when_unchanged()
    {
        var tomb = Tombstone();
        await Store.WriteAsync(1, Key("k"), tomb);
        Assert.False(await Store.RemoveAsync(1, Key("k"), Value("something else")));
        Assert.Equal(tomb, await Store.ReadAsync(1, Key("k")));
        Assert.True(await Store.RemoveAsync(1, Key("k"), Tombstone()));
        Assert.Null(await Store.ReadAsync(1, Key("k")));
        Assert.False(await Store.RemoveAsync(1, Key("k"), tomb));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(200)]
    [InlineData(1000)]
    public async Task Scan_returns_every_key_once_in_key_hash_order(int pageSize)
    {
        for (int i = 0; i < 200; i++) await Store.WriteAsync(3, Key("key-" + i, i % 2 == 0 ? "b1" : "b2"), Value("v" + i));
        await Store.WriteAsync(4, Key("elsewhere"), Value("x"));

        var all = new List<StoredEntry>();
        ScanCursor? cursor = null;
        int pages = 0;
        while (true)
        {
            var page = await Store.ScanAsync(3, cursor, pageSize);
            Assert.True(page.Entries.Count <= pageSize);
            all.AddRange(page.Entries);
            pages++;
            if (page.IsLast) break;
            Assert.Equal(pageSize, page.Entries.Count);
            cursor = page.Next;
        }
        Assert.Equal(200, all.Count);
        Assert.True(pages >= 200 / pageSize);
        for (int i = 1; i < all.Count; i++) Assert.True(CompareScanOrder(all[i - 1], all[i]) < 0, $"entry {i} out of order");
        foreach (var e in all)
        {
            Assert.Equal(e.Key.Hash, e.Hash);
            Assert.Equal(Value("v" + e.Key.Key["key-".Length..]), e.Siblings);
        }
    }

    [Fact]
    public async Task Scan_of_an_empty_partition_is_one_empty_last_page()
    {
        var page = await Store.ScanAsync(9, null, 10);
        Assert.Empty(page.Entries);
        Assert.True(page.IsLast);
    }

    [Fact]
    public async Task Paging_under_concurrent_writes_returns_every_stable_key_exactly_once()
    {
        var stable = Enumerable.Range(0, 400).Select(i => Key("stable-" + i)).ToList();
        foreach (var k in stable) await Store.WriteAsync(5, k, Value("s"));
        using var stop = new CancellationTokenSource();
        var churn = Task.Run(async () =>
        {
            var random = new Random(42);
            int n = 0;
            while (!stop.IsCancellationRequested)
            {
                var volatileKey = Key("volatile-" + random.Next(300));
                if (random.Next(3) == 0) await Store.RemoveAsync(5, volatileKey);
                else await Store.WriteAsync(5, volatileKey, Value("v" + n));
                await Store.WriteAsync(5, stable[random.Next(stable.Count)], Value("s" + n)); // overwrite in place
                n++;
            }
        });
        try
        {
            for (int round = 0; round < 3; round++)
            {
                var seen = new List<StoredEntry>();
                ScanCursor? cursor = null;
                do
                {
                    var page = await Store.ScanAsync(5, cursor, 9);
                    seen.AddRange(page.Entries);
                    cursor = page.Next;
                    await Task.Yield();
                }
                while (cursor is not null);
                for (int i = 1; i < seen.Count; i++) Assert.True(CompareScanOrder(seen[i - 1], seen[i]) < 0);
                var keys = seen.Select(e => e.Key).ToList();
                Assert.Equal(keys.Count, keys.Distinct().Count());
                foreach (var k in stable) Assert.Single(keys, x => x == k);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await churn;
        }
    }

    [Fact]
    public async Task Drop_partition_empties_it_and_leaves_others()
    {
        for (int i = 0; i < 50; i++)
        {
            await Store.WriteAsync(1, Key("a" + i), Value("x"));
            await Store.WriteAsync(2, Key("a" + i), Value("y"));
        }
        await Store.DropPartitionAsync(1);
        Assert.Empty((await Store.ScanAsync(1, null, 100)).Entries);
        Assert.Null(await Store.ReadAsync(1, Key("a0")));
        Assert.Equal(new PartitionSummary(1, 0, 0), await Store.SummarizeAsync(1));
        Assert.Equal(50, (await Store.SummarizeAsync(2)).KeyCount);
        Assert.Equal(Value("y"), await Store.ReadAsync(2, Key("a7")));
        Assert.Equal([2], (await Store.SummarizeAllAsync()).Select(s => s.Partition));
        await Store.WriteAsync(1, Key("again"), Value("z"));
        Assert.Equal(Value("z"), await Store.ReadAsync(1, Key("again")));
    }

    [Fact]
    public async Task Summaries_count_keys_and_encoded_bytes()
    {
        long bytes1 = 0;
        for (int i = 0; i < 10; i++)
        {
            var set = Value(new string('x', i * 10));
            bytes1 += VersionCodec.EncodeSiblingSet(set).Length;
            await Store.WriteAsync(1, Key("k" + i), set);
        }
        var tomb = Tombstone();
        await Store.WriteAsync(30, Key("t"), tomb);
        Assert.Equal(new PartitionSummary(1, 10, bytes1), await Store.SummarizeAsync(1));
        Assert.Equal(new PartitionSummary(2, 0, 0), await Store.SummarizeAsync(2));
        var all = await Store.SummarizeAllAsync();
        Assert.Equal(
            [new PartitionSummary(1, 10, bytes1), new PartitionSummary(30, 1, VersionCodec.EncodeSiblingSet(tomb).Length)],
            all);
    }

    [Fact]
    public async Task Concurrent_writers_to_different_keys_are_all_persisted()
    {
        const int writers = 16, perWriter = 60;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < perWriter; i++) await Store.WriteAsync(w % 4, Key($"w{w}-{i}"), Value($"{w}:{i}"));
        })));
        for (int w = 0; w < writers; w++)
        {
            for (int i = 0; i < perWriter; i++) Assert.Equal(Value($"{w}:{i}"), await Store.ReadAsync(w % 4, Key($"w{w}-{i}")));
        }
        Assert.Equal(writers * perWriter, (await Store.SummarizeAllAsync()).Sum(s => s.KeyCount));
    }
}
