using OrleansDynamo.Core.Keys;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>Hints whose stored bytes do not decode, and the quarantine they are moved into, for every engine.</summary>
public abstract partial class PartitionStoreConformance
{
    /// <summary>Bytes no sibling-set decoder accepts (an unknown format byte).</summary>
    protected static readonly byte[] Undecodable = [0x7F, 1, 2, 3];

    /// <summary>
    /// Puts a hint row holding <paramref name="blob"/> into the log as a damaged disk would (checksum intact where the
    /// engine keeps one, so the bytes fail in the decoder); returns its id.
    /// </summary>
    protected abstract Task<long> PlantHintAsync(string target, int partition, DynamoKey key, byte[] blob, long createdAtMs);

    [Fact]
    public async Task A_hint_that_does_not_decode_is_reported_beside_the_others_and_never_thrown()
    {
        long first = await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k1"), Value("v1"), Now));
        long bad = await PlantHintAsync("silo-b", 2, Key("bad"), Undecodable, Now + 1);
        long last = await Store.Hints.AppendAsync(new Hint("silo-b", 3, Key("k3"), Value("v3"), Now + 2));

        var page = await Store.Hints.ReadPageAsync("silo-b", 0, 10);
        Assert.Equal([first, last], page.Hints.Select(h => h.Id));
        Assert.Equal(Value("v3"), page.Hints[1].Hint.Siblings);
        var u = Assert.Single(page.Undecodable);
        Assert.Equal((bad, "silo-b", 2, Key("bad"), Now + 1), (u.Id, u.TargetSilo, u.Partition, u.Key, u.CreatedAtMs));
        Assert.Equal(Undecodable, u.Blob);
        Assert.Contains("does not decode", u.Reason);
        Assert.Equal((3, last), (page.Count, page.LastId));

        var middle = await Store.Hints.ReadPageAsync("silo-b", first, 1);
        Assert.Equal((0, bad), (middle.Hints.Count, middle.LastId));
        Assert.Equal([first, last], (await Store.Hints.ListAsync("silo-b", 0, 10)).Select(h => h.Id));
        Assert.Equal([last], (await Store.Hints.ListAsync("silo-b", first, 1)).Select(h => h.Id));
        Assert.Equal(3, (await Store.Hints.CountByTargetAsync())["silo-b"]);
    }

    [Fact]
    public async Task A_page_of_undecodable_rows_does_not_end_the_listing_of_the_hints_behind_it()
    {
        for (int i = 0; i < 3; i++) await PlantHintAsync("silo-b", i, Key("bad" + i), Undecodable, Now);
        long good = await Store.Hints.AppendAsync(new Hint("silo-b", 9, Key("good"), Value("v"), Now));
        var hint = Assert.Single(await Store.Hints.ListAsync("silo-b", 0, 2));
        Assert.Equal(good, hint.Id);
    }

    [Fact]
    public async Task Quarantine_moves_the_row_as_stored_out_of_the_log_once()
    {
        long kept = await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k1"), Value("v1"), Now));
        long bad = await PlantHintAsync("silo-b", 2, Key("bad"), Undecodable, Now + 1);
        await PlantHintAsync("silo-c", 4, Key("other"), Undecodable, Now);
        Assert.Empty(await Store.Hints.ListQuarantinedAsync(0, 10));

        Assert.True(await Store.Hints.QuarantineAsync(bad, "the sibling set does not decode", Now + 10));
        Assert.False(await Store.Hints.QuarantineAsync(bad, "again", Now + 11));
        Assert.False(await Store.Hints.QuarantineAsync(123456789, "no such hint", Now));

        var page = await Store.Hints.ReadPageAsync("silo-b", 0, 10);
        Assert.Empty(page.Undecodable);
        Assert.Equal([kept], page.Hints.Select(h => h.Id));
        Assert.Equal(new Dictionary<string, long> { ["silo-b"] = 1, ["silo-c"] = 1 }, await Store.Hints.CountByTargetAsync());
        var q = Assert.Single(await Store.Hints.ListQuarantinedAsync(0, 10));
        Assert.Equal((bad, "silo-b", 2, Key("bad"), Now + 1, "the sibling set does not decode", Now + 10),
            (q.Id, q.TargetSilo, q.Partition, q.Key, q.CreatedAtMs, q.Reason, q.QuarantinedAtMs));
        Assert.Equal(Undecodable, q.Blob);
        Assert.Empty(await Store.Hints.ListQuarantinedAsync(bad, 10));

        await Store.Hints.DeleteAsync([bad, kept]);
        Assert.Single(await Store.Hints.ListQuarantinedAsync(0, 10));
        Assert.True(await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k2"), Value("v2"), Now)) > bad, "a quarantined id is never reused");
    }
}
