using Microsoft.Data.Sqlite;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>The conformance suite against <see cref="SqlitePartitionStore"/> in a temp directory, plus what only a disk engine has.</summary>
public sealed class SqlitePartitionStoreTests : PartitionStoreConformance
{
    private readonly string _dir = TempDirectory();

    private SqliteStoreOptions Options(DurabilityMode durability = DurabilityMode.Full) =>
        new() { DataDirectory = _dir, Durability = durability };

    protected override IPartitionStore CreateStore() => SqlitePartitionStore.Open(Options());

    protected override void Cleanup() => DeleteDirectory(_dir);

    private string DbPath => Path.Combine(Path.GetFullPath(_dir), "silo.db");

    protected override Task<long> PlantHintAsync(string target, int partition, DynamoKey key, byte[] blob, long createdAtMs) =>
        Task.FromResult(PlantRow(target, partition, key, blob, createdAtMs, BlobChecksum.Compute(default, blob)));

    /// <summary>Writes the key through the store, then replaces its bytes through a second connection (checksum intact).</summary>
    protected override async Task PlantValueAsync(int partition, DynamoKey key, byte[] blob)
    {
        await Store.WriteAsync(partition, key, Value("before the damage"));
        DamageValue(partition, key, "blob = $v, crc = $c", ("$v", blob), ("$c", BlobChecksum.Compute(key.Hash.ToBytes(), blob)));
    }

    /// <summary>Changes a stored kv row through a second connection, as a damaged disk or another program would.</summary>
    private void DamageValue(int partition, DynamoKey key, string set, params (string Name, object Value)[] parameters)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"UPDATE kv SET {set} WHERE partition_id = $p AND bucket = $b AND key_name = $k;";
        cmd.Parameters.AddWithValue("$p", partition);
        cmd.Parameters.AddWithValue("$b", key.Bucket);
        cmd.Parameters.AddWithValue("$k", key.Key);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        Assert.Equal(1, cmd.ExecuteNonQuery());
    }

    /// <summary>Inserts a hint row through a second connection, as bytes damaged on disk would be found.</summary>
    private long PlantRow(string target, int partition, DynamoKey key, byte[] blob, long createdAtMs, long crc)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO hints (target, partition_id, bucket, key_name, blob, created_at, crc) VALUES ($t, $p, $b, $k, $v, $at, $c) RETURNING id;";
        cmd.Parameters.AddWithValue("$t", target);
        cmd.Parameters.AddWithValue("$p", partition);
        cmd.Parameters.AddWithValue("$b", key.Bucket);
        cmd.Parameters.AddWithValue("$k", key.Key);
        cmd.Parameters.AddWithValue("$v", blob);
        cmd.Parameters.AddWithValue("$at", createdAtMs);
        cmd.Parameters.AddWithValue("$c", crc);
        return (long)cmd.ExecuteScalar()!;
    }

    private void Exec(string sql)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task A_hint_whose_checksum_does_not_match_is_reported_as_undecodable()
    {
        var good = Core.Versioning.VersionCodec.EncodeSiblingSet(Value("v"));
        long id = PlantRow("silo-b", 1, Key("flipped"), good, Now, BlobChecksum.Compute(default, good) ^ 1);
        var u = Assert.Single((await Store.Hints.ReadPageAsync("silo-b", 0, 10)).Undecodable);
        Assert.Equal(id, u.Id);
        Assert.Contains("checksum mismatch", u.Reason);
    }

    [Fact]
    public async Task Quarantined_hints_survive_reopen()
    {
        long bad = await PlantHintAsync("silo-b", 2, Key("bad"), Undecodable, Now);
        Assert.True(await Store.Hints.QuarantineAsync(bad, "why", Now + 1));
        await Store.DisposeAsync();

        await using var reopened = SqlitePartitionStore.Open(Options());
        var q = Assert.Single(await reopened.Hints.ListQuarantinedAsync(0, 10));
        Assert.Equal((bad, "why"), (q.Id, q.Reason));
        Assert.Equal(Undecodable, q.Blob);
        Assert.Empty(await reopened.Hints.CountByTargetAsync());
    }

    [Fact]
    public async Task A_format_1_file_is_upgraded_to_format_2_on_open_and_keeps_its_hints()
    {
        long hint = await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k"), Value("h"), Now));
        await Store.DisposeAsync();
        Exec("DROP TABLE hint_quarantine; DROP TABLE value_quarantine; PRAGMA user_version = 1;");

        await using (var upgraded = SqlitePartitionStore.Open(Options()))
        {
            Assert.Equal(hint, Assert.Single(await upgraded.Hints.ListAsync("silo-b", 0, 10)).Id);
            Assert.True(await upgraded.Hints.QuarantineAsync(hint, "test", Now));
            Assert.Single(await upgraded.Hints.ListQuarantinedAsync(0, 10));
        }
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        Assert.Equal(2L, SqliteSchema.Scalar(c, "PRAGMA user_version;"));
    }

    [Fact]
    public async Task A_value_whose_checksum_does_not_match_or_whose_columns_hold_the_wrong_type_is_reported_and_quarantined()
    {
        await Store.WriteAsync(2, Key("flipped"), Value("v"));
        await Store.WriteAsync(2, Key("text-blob"), Value("v"));
        await Store.WriteAsync(2, Key("text-crc"), Value("v"));
        await Store.WriteAsync(2, Key("fine"), Value("fine"));
        DamageValue(2, Key("flipped"), "crc = crc + 1");
        DamageValue(2, Key("text-blob"), "blob = 'text'");
        DamageValue(2, Key("text-crc"), "crc = 'x'");

        var page = await Store.ScanAsync(2, null, 10);
        Assert.Equal([Key("fine")], page.Entries.Select(e => e.Key));
        var reasons = page.Undecodable.ToDictionary(u => u.Key.Key, u => u.Reason);
        Assert.StartsWith("checksum mismatch (stored ", reasons["flipped"]);
        Assert.Equal("column 'blob' holds text where a blob belongs", reasons["text-blob"]);
        Assert.Equal("column 'crc' holds text where an integer belongs", reasons["text-crc"]);
        Assert.Equal("text"u8.ToArray(), page.Undecodable.Single(u => u.Key.Key == "text-blob").Blob);

        foreach (var bad in page.Undecodable) Assert.NotNull(await Store.QuarantineAsync(bad, Now));
        Assert.Equal(["flipped", "text-blob", "text-crc"], (await Store.ListQuarantinedAsync(0, 10)).Select(q => q.Key.Key).Order());
        Assert.Equal(1, (await Store.SummarizeAsync(2)).KeyCount);
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        Assert.Equal(0L, SqliteSchema.Scalar(c, "SELECT COUNT(*) FROM kv WHERE key_name <> 'fine';"));
        // Moved exactly as stored: the text stays text, the checksum stays what it was.
        Assert.Equal(1L, SqliteSchema.Scalar(c, "SELECT COUNT(*) FROM value_quarantine WHERE key_name = 'text-blob' AND typeof(blob) = 'text' AND blob = 'text';"));
        Assert.Equal(1L, SqliteSchema.Scalar(c, "SELECT COUNT(*) FROM value_quarantine WHERE key_name = 'text-crc' AND crc = 'x';"));
    }

    [Fact]
    public async Task Quarantined_values_survive_reopen_and_the_key_stays_absent()
    {
        await Store.WriteAsync(2, Key("fine"), Value("fine"));
        await PlantValueAsync(2, Key("bad"), Undecodable);
        var found = Assert.Single((await Store.ScanAsync(2, null, 10)).Undecodable);
        var moved = await Store.QuarantineAsync(found, Now);
        await Store.DisposeAsync();

        await using var reopened = SqlitePartitionStore.Open(Options());
        var q = Assert.Single(await reopened.ListQuarantinedAsync(0, 10));
        Assert.Equal((moved!.Id, 2, Key("bad"), moved.Reason, Now), (q.Id, q.Partition, q.Key, q.Reason, q.QuarantinedAtMs));
        Assert.Equal(Undecodable, q.Blob);
        Assert.Null(await reopened.ReadAsync(2, Key("bad")));
        var page = await reopened.ScanAsync(2, null, 10);
        Assert.Empty(page.Undecodable);
        Assert.Equal([Key("fine")], page.Entries.Select(e => e.Key));
        Assert.Equal(1, (await reopened.SummarizeAsync(2)).KeyCount);
    }

    [Fact]
    public async Task A_format_2_file_from_before_the_value_quarantine_opens_and_gains_it_without_a_new_format_version()
    {
        await Store.WriteAsync(2, Key("k"), Value("v"));
        await Store.DisposeAsync();
        Exec("DROP TABLE value_quarantine;");

        await using (var opened = SqlitePartitionStore.Open(Options()))
        {
            Assert.Equal(Value("v"), await opened.ReadAsync(2, Key("k")));
            Assert.Empty(await opened.ListQuarantinedAsync(0, 10));
        }
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        Assert.Equal(2L, SqliteSchema.Scalar(c, "PRAGMA user_version;"));
        Assert.Equal(1L, SqliteSchema.Scalar(c, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'value_quarantine';"));
    }

    [Fact]
    public async Task Keys_hints_and_metadata_survive_reopen()
    {
        await Store.WriteAsync(1, Key("k"), ValueAndTombstone());
        long hintId = await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k"), Value("h"), Now));
        long deleted = await Store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k2"), Value("h2"), Now));
        await Store.Hints.DeleteAsync([deleted]);
        await Store.Metadata.SetAsync("ring", [9, 8, 7]);
        await Store.DisposeAsync();

        await using var reopened = SqlitePartitionStore.Open(Options(DurabilityMode.Normal));
        Assert.Equal(ValueAndTombstone(), await reopened.ReadAsync(1, Key("k")));
        var hint = Assert.Single(await reopened.Hints.ListAsync("silo-b", 0, 10));
        Assert.Equal(hintId, hint.Id);
        Assert.Equal(Value("h"), hint.Hint.Siblings);
        Assert.Equal(new byte[] { 9, 8, 7 }, await reopened.Metadata.GetAsync("ring"));
        Assert.True(await reopened.Hints.AppendAsync(new Hint("silo-b", 1, Key("k3"), Value("h3"), Now)) > deleted);
    }

    [Fact]
    public void Database_lives_in_one_file_per_silo()
    {
        Assert.Equal(Path.Combine(Path.GetFullPath(_dir), "silo.db"), ((SqlitePartitionStore)Store).DatabasePath);
        Assert.True(File.Exists(Path.Combine(_dir, "silo.db")));
    }

    [Fact]
    public async Task Concurrent_writes_share_commits()
    {
        var sqlite = (SqlitePartitionStore)Store;
        var before = sqlite.CommitStats;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++) await Store.WriteAsync(1, Key($"w{w}-{i}"), Value("v"));
        })));
        var after = sqlite.CommitStats;
        long writes = after.Writes - before.Writes, batches = after.Batches - before.Batches;
        Assert.Equal(64 * 20, writes);
        Assert.True(batches < writes / 2, $"{writes} writes took {batches} commits");
    }

    [Theory]
    [InlineData(nameof(SqliteStoreOptions.MaxBatchSize))]
    [InlineData(nameof(SqliteStoreOptions.ReadConnections))]
    [InlineData(nameof(SqliteStoreOptions.MaxValueBytes))]
    [InlineData(nameof(SqliteStoreOptions.GroupCommitWindow))]
    [InlineData(nameof(SqliteStoreOptions.WalSizeLimitBytes))]
    [InlineData(nameof(SqliteStoreOptions.WalRestartTimeout))]
    [InlineData(nameof(SqliteStoreOptions.DataDirectory))]
    public void Invalid_options_are_refused_naming_the_field(string field)
    {
        var options = Options();
        switch (field)
        {
            case nameof(SqliteStoreOptions.MaxBatchSize): options.MaxBatchSize = 0; break;
            case nameof(SqliteStoreOptions.ReadConnections): options.ReadConnections = 0; break;
            case nameof(SqliteStoreOptions.MaxValueBytes): options.MaxValueBytes = -1; break;
            case nameof(SqliteStoreOptions.GroupCommitWindow): options.GroupCommitWindow = TimeSpan.FromSeconds(-1); break;
            case nameof(SqliteStoreOptions.WalSizeLimitBytes): options.WalSizeLimitBytes = 1024; break;
            case nameof(SqliteStoreOptions.WalRestartTimeout): options.WalRestartTimeout = TimeSpan.FromSeconds(2); break;
            default: options.DataDirectory = " "; break;
        }
        var error = Assert.Throws<ArgumentException>(() => SqlitePartitionStore.Open(options));
        Assert.Contains(field, error.Message);
    }
}
