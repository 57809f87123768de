using System.Text;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>Hint log, metadata and input limits, for every engine.</summary>
public abstract partial class PartitionStoreConformance
{
    [Fact]
    public async Task Hints_append_list_by_target_in_pages_and_delete()
    {
        var ids = new List<long>();
        for (int i = 0; i < 5; i++) ids.Add(await Store.Hints.AppendAsync(new Hint("silo-b", i, Key("k" + i), Value("v" + i), Now + i)));
        long other = await Store.Hints.AppendAsync(new Hint("silo-c", 9, Key("x"), Tombstone(), Now));
        Assert.True(ids.Zip(ids.Skip(1)).All(p => p.First < p.Second));

        var first = await Store.Hints.ListAsync("silo-b", 0, 2);
        var second = await Store.Hints.ListAsync("silo-b", first[^1].Id, 2);
        var third = await Store.Hints.ListAsync("silo-b", second[^1].Id, 2);
        Assert.Equal(ids, first.Concat(second).Concat(third).Select(h => h.Id));
        Assert.Single(third);
        var h2 = second[0].Hint;
        Assert.Equal(("silo-b", 2, Key("k2"), Now + 2), (h2.TargetSilo, h2.Partition, h2.Key, h2.CreatedAtMs));
        Assert.Equal(Value("v2"), h2.Siblings);

        var c = Assert.Single(await Store.Hints.ListAsync("silo-c", 0, 10));
        Assert.Equal(other, c.Id);
        Assert.Equal(Tombstone(), c.Hint.Siblings);
        Assert.Empty(await Store.Hints.ListAsync("silo-z", 0, 10));

        Assert.Equal(new Dictionary<string, long> { ["silo-b"] = 5, ["silo-c"] = 1 }, await Store.Hints.CountByTargetAsync());
        await Store.Hints.DeleteAsync([ids[0], ids[3], other, 123456789]);
        Assert.Equal([ids[1], ids[2], ids[4]], (await Store.Hints.ListAsync("silo-b", 0, 10)).Select(h => h.Id));
        Assert.Equal(new Dictionary<string, long> { ["silo-b"] = 3 }, await Store.Hints.CountByTargetAsync());
        await Store.Hints.DeleteAsync([]);

        long next = await Store.Hints.AppendAsync(new Hint("silo-c", 1, Key("y"), Value("y"), Now));
        Assert.True(next > other, "ids grow monotonically, even past deleted ones");
    }

    [Fact]
    public async Task Metadata_get_set_overwrite_delete()
    {
        Assert.Null(await Store.Metadata.GetAsync("ring"));
        await Store.Metadata.SetAsync("ring", [1, 2, 3]);
        await Store.Metadata.SetAsync("members", []);
        Assert.Equal(new byte[] { 1, 2, 3 }, await Store.Metadata.GetAsync("ring"));
        Assert.Equal(Array.Empty<byte>(), await Store.Metadata.GetAsync("members"));
        await Store.Metadata.SetAsync("ring", [4]);
        Assert.Equal(new byte[] { 4 }, await Store.Metadata.GetAsync("ring"));
        Assert.True(await Store.Metadata.DeleteAsync("ring"));
        Assert.False(await Store.Metadata.DeleteAsync("ring"));
        Assert.Null(await Store.Metadata.GetAsync("ring"));
    }

    [Fact]
    public async Task Key_over_1_KiB_is_refused_and_nothing_is_written()
    {
        string atLimit = new('é', 512);      // 1024 UTF-8 bytes
        string overLimit = new('é', 513);    // 1026 UTF-8 bytes
        await Store.WriteAsync(1, Key(atLimit), Value("ok"));
        var error = await Assert.ThrowsAsync<StorageLimitException>(async () => await Store.WriteAsync(1, Key(overLimit), Value("no")));
        Assert.Contains("1026", error.Message);
        await Assert.ThrowsAsync<StorageLimitException>(async () =>
            await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key(overLimit), Value("no"), Now)));
        Assert.Null(await Store.ReadAsync(1, Key(overLimit)));
        Assert.Equal(1, (await Store.SummarizeAsync(1)).KeyCount);
        Assert.Empty(await Store.Hints.CountByTargetAsync());
    }

    [Fact]
    public async Task Value_over_the_limit_is_refused_and_nothing_is_written()
    {
        var big = new byte[StoreLimits.DefaultMaxValueBytes + 1];
        var ok = new byte[StoreLimits.DefaultMaxValueBytes];
        await Store.WriteAsync(1, Key("k"), Value("old"));
        var twoSiblings = Value("small").Update(Core.Versioning.VectorClock.Empty, "silo-b", big, false, Now);
        await Assert.ThrowsAsync<StorageLimitException>(async () => await Store.WriteAsync(1, Key("k"), twoSiblings));
        await Assert.ThrowsAsync<StorageLimitException>(async () => await Store.WriteAsync(1, Key("k2"), Value(big)));
        await Assert.ThrowsAsync<StorageLimitException>(async () =>
            await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k"), Value(big), Now)));
        Assert.Equal(Value("old"), await Store.ReadAsync(1, Key("k")));
        Assert.Null(await Store.ReadAsync(1, Key("k2")));
        Assert.Empty(await Store.Hints.CountByTargetAsync());

        await Store.WriteAsync(1, Key("max"), Value(ok));
        Assert.Equal(ok.Length, (await Store.ReadAsync(1, Key("max")))!.Siblings[0].Value.Length);
    }

    [Fact]
    public async Task Unicode_keys_and_buckets_round_trip_and_scan()
    {
        string[] keys = ["a", "é", "\uE000", "😀", "z\u0000z", Encoding.UTF8.GetString([0xEF, 0xBF, 0xBD])];
        foreach (var k in keys) await Store.WriteAsync(2, Key(k, "bücket"), Value(k));
        foreach (var k in keys) Assert.Equal(Value(k), await Store.ReadAsync(2, Key(k, "bücket")));
        var page = await Store.ScanAsync(2, null, 100);
        Assert.Equal(keys.Order(StringComparer.Ordinal), page.Entries.Select(e => e.Key.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Disposed_store_refuses_calls()
    {
        await Store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await Store.ReadAsync(1, Key("k")));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await Store.WriteAsync(1, Key("k"), Value("v")));
    }
}
