using OrleansDynamo.Core.Keys;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>Stored values whose bytes do not decode, and the quarantine they are moved into, for every engine (issue 15, item 4).</summary>
public abstract partial class PartitionStoreConformance
{
    /// <summary>
    /// Stores <paramref name="blob"/> as the value of a key, as a damaged disk would hold it (checksum intact where the
    /// engine keeps one, so the bytes fail in the decoder).
    /// </summary>
    protected abstract Task PlantValueAsync(int partition, DynamoKey key, byte[] blob);

    [Fact]
    public async Task A_value_that_does_not_decode_is_refused_by_a_read_with_the_row_as_found()
    {
        await Store.WriteAsync(3, Key("good"), Value("v"));
        await PlantValueAsync(3, Key("bad"), Undecodable);

        Assert.Equal(Value("v"), await Store.ReadAsync(3, Key("good")));
        var error = await Assert.ThrowsAsync<UndecodableValueException>(async () => await Store.ReadAsync(3, Key("bad")));
        Assert.IsAssignableFrom<StorageCorruptedException>(error);
        Assert.Contains("key default/bad in partition 3", error.Message);
        Assert.Equal((3, Key("bad"), Key("bad").Hash), (error.Value.Partition, error.Value.Key, error.Value.Hash));
        Assert.Equal(Undecodable, error.Value.Blob);
        Assert.Contains("does not decode", error.Value.Reason);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public async Task A_scan_leaves_out_and_reports_values_that_do_not_decode_and_goes_on_with_every_other_key(int pageSize)
    {
        var good = Enumerable.Range(0, 20).Select(i => Key("key-" + i)).ToList();
        foreach (var k in good) await Store.WriteAsync(3, k, Value(k.Key));
        DynamoKey[] bad = [Key("bad-1"), Key("bad-2"), Key("bad-3")];
        foreach (var k in bad) await PlantValueAsync(3, k, Undecodable);

        var entries = new List<StoredEntry>();
        var undecodable = new List<UndecodableValue>();
        ScanCursor? cursor = null;
        while (true)
        {
            var page = await Store.ScanAsync(3, cursor, pageSize);
            Assert.True(page.Entries.Count + page.Undecodable.Count <= pageSize, "undecodable rows count toward the page size");
            entries.AddRange(page.Entries);
            undecodable.AddRange(page.Undecodable);
            if (page.IsLast) break;
            Assert.Equal(pageSize, page.Entries.Count + page.Undecodable.Count);
            cursor = page.Next;
        }

        Assert.Equal(good.OrderBy(k => k.Key), entries.Select(e => e.Key).OrderBy(k => k.Key));
        Assert.Equal(entries.OrderBy(e => e, Comparer<StoredEntry>.Create(CompareScanOrder)).Select(e => e.Key), entries.Select(e => e.Key));
        Assert.All(entries, e => Assert.Equal(Value(e.Key.Key), e.Siblings));
        Assert.Equal(bad.OrderBy(k => k.Key), undecodable.Select(u => u.Key).OrderBy(k => k.Key));
        Assert.All(undecodable, u =>
        {
            Assert.Equal((3, u.Key.Hash), (u.Partition, u.Hash));
            Assert.Equal(Undecodable, u.Blob);
            Assert.Contains("does not decode", u.Reason);
        });
    }

    [Fact]
    public async Task A_one_row_page_of_an_undecodable_value_moves_the_cursor_past_it()
    {
        await PlantValueAsync(3, Key("bad"), Undecodable);
        await Store.WriteAsync(3, Key("good"), Value("v"));
        var first = await Store.ScanAsync(3, null, 1);
        var second = await Store.ScanAsync(3, first.Next, 1);
        Assert.Equal(1, first.Entries.Count + first.Undecodable.Count);
        Assert.False(first.IsLast);
        Assert.Equal(1, second.Entries.Count + second.Undecodable.Count);
        Assert.True(second.IsLast);
        Assert.Equal([Key("bad")], first.Undecodable.Concat(second.Undecodable).Select(u => u.Key));
        Assert.Equal([Key("good")], first.Entries.Concat(second.Entries).Select(e => e.Key));
    }

    [Fact]
    public async Task Quarantine_moves_the_value_as_stored_out_of_its_partition_once_and_the_key_reads_absent()
    {
        await Store.WriteAsync(3, Key("good"), Value("v"));
        await PlantValueAsync(3, Key("bad"), Undecodable);
        await PlantValueAsync(5, Key("other"), Undecodable);
        Assert.Equal(2, (await Store.SummarizeAsync(3)).KeyCount);
        var found = Assert.Single((await Store.ScanAsync(3, null, 10)).Undecodable);
        Assert.Empty(await Store.ListQuarantinedAsync(0, 10));

        var moved = await Store.QuarantineAsync(found, Now + 10);
        Assert.NotNull(moved);
        Assert.Equal((3, Key("bad"), Now + 10), (moved!.Partition, moved.Key, moved.QuarantinedAtMs));
        Assert.Equal(Undecodable, moved.Blob);
        Assert.Contains("does not decode", moved.Reason);
        Assert.Null(await Store.QuarantineAsync(found, Now + 11));

        Assert.Null(await Store.ReadAsync(3, Key("bad")));
        var page = await Store.ScanAsync(3, null, 10);
        Assert.Empty(page.Undecodable);
        Assert.Equal([Key("good")], page.Entries.Select(e => e.Key));
        Assert.Equal(1, (await Store.SummarizeAsync(3)).KeyCount);
        var listed = Assert.Single(await Store.ListQuarantinedAsync(0, 10));
        Assert.Equal(moved, listed with { Blob = moved.Blob });
        Assert.Equal(Undecodable, listed.Blob);
        Assert.Empty(await Store.ListQuarantinedAsync(moved.Id, 10));

        var other = (await Assert.ThrowsAsync<UndecodableValueException>(async () => await Store.ReadAsync(5, Key("other")))).Value;
        var second = await Store.QuarantineAsync(other, Now + 20);
        Assert.True(second!.Id > moved.Id);
        Assert.Equal([moved.Id, second.Id], (await Store.ListQuarantinedAsync(0, 10)).Select(q => q.Id));
        Assert.Equal([second.Id], (await Store.ListQuarantinedAsync(moved.Id, 10)).Select(q => q.Id));
        Assert.Equal([moved.Id], (await Store.ListQuarantinedAsync(0, 1)).Select(q => q.Id));

        await Store.WriteAsync(3, Key("bad"), Value("repaired"));
        Assert.Equal(Value("repaired"), await Store.ReadAsync(3, Key("bad")));
        Assert.Equal(2, (await Store.ListQuarantinedAsync(0, 10)).Count);
    }

    [Fact]
    public async Task Quarantine_leaves_a_value_written_again_since_it_was_found()
    {
        await PlantValueAsync(3, Key("bad"), Undecodable);
        var found = Assert.Single((await Store.ScanAsync(3, null, 10)).Undecodable);
        await Store.WriteAsync(3, Key("bad"), Value("rewritten"));

        Assert.Null(await Store.QuarantineAsync(found, Now));
        Assert.Equal(Value("rewritten"), await Store.ReadAsync(3, Key("bad")));
        Assert.Empty(await Store.ListQuarantinedAsync(0, 10));
        Assert.Null(await Store.QuarantineAsync(found with { Key = Key("never-stored") }, Now));
    }

    [Fact]
    public async Task A_value_that_does_not_decode_is_never_removed_as_the_expected_set_and_never_throws_there()
    {
        await PlantValueAsync(3, Key("bad"), Undecodable);
        Assert.False(await Store.RemoveAsync(3, Key("bad"), Tombstone()));
        Assert.Single((await Store.ScanAsync(3, null, 10)).Undecodable);
        Assert.True(await Store.RemoveAsync(3, Key("bad")));
        Assert.Empty((await Store.ScanAsync(3, null, 10)).Undecodable);
    }
}
