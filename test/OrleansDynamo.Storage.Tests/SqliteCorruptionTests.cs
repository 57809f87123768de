using Microsoft.Data.Sqlite;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>A damaged or foreign data file is refused with a message naming it; wrong data is never served.</summary>
public sealed class SqliteCorruptionTests : IDisposable
{
    private readonly string _dir = TempDirectory();

    private string DbPath => Path.Combine(Path.GetFullPath(_dir), "silo.db");

    private SqliteStoreOptions Options => new() { DataDirectory = _dir };

    public void Dispose() => DeleteDirectory(_dir);

    private async Task WriteSample(int keys = 300)
    {
        await using var store = SqlitePartitionStore.Open(Options);
        for (int i = 0; i < keys; i++) await store.WriteAsync(i % 4, Key("k" + i), Value(new byte[1000]));
        await store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k1"), Value("h"), Now));
    }

    private void AssertRefused(string because)
    {
        var error = Assert.Throws<StorageCorruptedException>(() => SqlitePartitionStore.Open(Options));
        Assert.Contains(DbPath, error.Message);
        Assert.Contains(because, error.Message);
    }

    [Fact]
    public async Task Overwritten_pages_in_the_middle_are_refused_naming_the_file()
    {
        await WriteSample();
        Assert.False(File.Exists(DbPath + "-wal") && new FileInfo(DbPath + "-wal").Length > 0, "close checkpoints the WAL into the file");
        long length = new FileInfo(DbPath).Length;
        Assert.True(length > 16 * 4096);
        var garbage = new byte[3 * 4096];
        new Random(1).NextBytes(garbage);
        using (var f = new FileStream(DbPath, FileMode.Open, FileAccess.Write))
        {
            f.Position = length / 2 / 4096 * 4096;
            f.Write(garbage);
        }
        AssertRefused("damaged");
    }

    [Fact]
    public async Task A_flipped_byte_inside_a_value_is_caught_by_its_checksum()
    {
        await using (var store = SqlitePartitionStore.Open(Options))
        {
            var marker = Enumerable.Repeat((byte)0xA7, 600).ToArray();
            await store.WriteAsync(1, Key("victim"), Value(marker));
            await store.WriteAsync(1, Key("bystander"), Value("fine"));
        }
        byte[] file = await File.ReadAllBytesAsync(DbPath);
        int at = file.AsSpan().IndexOf(Enumerable.Repeat((byte)0xA7, 600).ToArray());
        Assert.True(at > 0);
        file[at + 300] ^= 0x01;
        await File.WriteAllBytesAsync(DbPath, file);

        await using var reopened = SqlitePartitionStore.Open(Options); // page structure is intact
        Assert.Equal(Value("fine"), await reopened.ReadAsync(1, Key("bystander")));
        var error = await Assert.ThrowsAsync<UndecodableValueException>(async () => await reopened.ReadAsync(1, Key("victim")));
        Assert.Contains(DbPath, error.Message);
        Assert.Contains("victim", error.Message);
        var page = await reopened.ScanAsync(1, null, 10);
        Assert.Equal([Key("bystander")], page.Entries.Select(e => e.Key));
        Assert.Contains("checksum mismatch", Assert.Single(page.Undecodable, u => u.Key == Key("victim")).Reason);
    }

    [Fact]
    public async Task A_blob_that_does_not_decode_is_refused_naming_the_file()
    {
        await WriteSample(keys: 1);
        byte[] junk = [0x7F, 1, 2, 3];
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE kv SET blob = $b, crc = $c";
            cmd.Parameters.AddWithValue("$b", junk);
            cmd.Parameters.AddWithValue("$c", BlobChecksum.Compute(Core.Keys.KeyHash.Of("default", "k0").ToBytes(), junk));
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }
        await using var store = SqlitePartitionStore.Open(Options);
        var error = await Assert.ThrowsAsync<UndecodableValueException>(async () => await store.ReadAsync(0, Key("k0")));
        Assert.Contains(DbPath, error.Message);
        Assert.Contains("does not decode", error.Message);
    }

    [Fact]
    public async Task Unknown_format_version_is_refused_naming_the_file()
    {
        await WriteSample(keys: 1);
        Exec("PRAGMA user_version = 99;");
        AssertRefused("format version 99 is unknown");
    }

    [Fact]
    public void Someone_elses_sqlite_database_is_refused()
    {
        Exec("CREATE TABLE users (id INTEGER PRIMARY KEY);");
        AssertRefused("no OrleansDynamo format version");
    }

    [Fact]
    public void A_file_that_is_not_sqlite_is_refused()
    {
        File.WriteAllText(DbPath, "these are not the pages you are looking for, not at all, no");
        AssertRefused("header");
    }

    [Fact]
    public async Task A_missing_table_is_refused()
    {
        await WriteSample(keys: 1);
        Exec("DROP TABLE meta;");
        AssertRefused("'meta' is missing");
    }

    [Fact]
    public async Task A_database_file_emptied_where_the_directory_held_a_store_is_refused_not_recreated()
    {
        await WriteSample(keys: 1);
        File.WriteAllBytes(DbPath, []);
        AssertRefused("empty (0 bytes)");
        Assert.Equal(0, new FileInfo(DbPath).Length);
    }

    [Fact]
    public async Task A_database_file_deleted_where_the_directory_held_a_store_is_refused_not_recreated()
    {
        await WriteSample(keys: 1);
        File.Delete(DbPath);
        AssertRefused("missing");
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public async Task An_empty_file_in_a_new_directory_becomes_a_store_and_a_store_from_before_the_marker_gets_one()
    {
        File.WriteAllBytes(DbPath, []);
        await using (var store = SqlitePartitionStore.Open(Options)) await store.WriteAsync(1, Key("k"), Value("v"));
        string marker = DbPath + StoreMarker.Suffix;
        Assert.True(File.Exists(marker));

        File.Delete(marker);
        await using (var store = SqlitePartitionStore.Open(Options)) Assert.Equal(Value("v"), await store.ReadAsync(1, Key("k")));
        Assert.True(File.Exists(marker));
    }

    [Theory]
    [InlineData("'not a blob'", "text")]
    [InlineData("42", "an integer")]
    public async Task A_metadata_value_of_the_wrong_type_is_refused_naming_the_file_and_column(string sqlValue, string found)
    {
        await using (var store = SqlitePartitionStore.Open(Options)) await store.Metadata.SetAsync("membership", [1, 2, 3]);
        Exec($"UPDATE meta SET blob = {sqlValue};");
        await using var reopened = SqlitePartitionStore.Open(Options);
        var error = await Assert.ThrowsAsync<StorageCorruptedException>(async () => await reopened.Metadata.GetAsync("membership"));
        Assert.Contains(DbPath, error.Message);
        Assert.Contains($"metadata 'membership': column 'blob' holds {found} where a blob belongs", error.Message);
    }

    [Fact]
    public async Task A_stored_value_or_checksum_of_the_wrong_type_is_refused_naming_the_key()
    {
        await WriteSample(keys: 2);
        Exec("UPDATE kv SET blob = 'text' WHERE key_name = 'k0'; UPDATE kv SET crc = 'x' WHERE key_name = 'k1';");
        await using var store = SqlitePartitionStore.Open(Options);
        var blob = await Assert.ThrowsAsync<UndecodableValueException>(async () => await store.ReadAsync(0, Key("k0")));
        Assert.Contains("key default/k0 in partition 0: column 'blob' holds text", blob.Message);
        var crc = await Assert.ThrowsAsync<UndecodableValueException>(async () => await store.ReadAsync(1, Key("k1")));
        Assert.Contains("key default/k1 in partition 1: column 'crc' holds text where an integer belongs", crc.Message);
    }

    [Fact]
    public async Task A_key_hash_that_is_not_16_bytes_still_fails_the_scan_naming_the_file_key_and_column()
    {
        await WriteSample(keys: 2);
        Exec("UPDATE kv SET key_hash = x'0102' WHERE key_name = 'k0';");
        await using var store = SqlitePartitionStore.Open(Options);
        var error = await Assert.ThrowsAsync<StorageCorruptedException>(async () => await store.ScanAsync(0, null, 10));
        Assert.Contains(DbPath, error.Message);
        Assert.Contains("key default/k0 in partition 0: column 'key_hash' holds a blob of 2 bytes where a 16-byte blob belongs", error.Message);
    }

    [Fact]
    public async Task A_partition_id_of_the_wrong_type_is_refused_when_the_store_opens()
    {
        await WriteSample(keys: 1);
        Exec("UPDATE kv SET partition_id = 'zero';");
        AssertRefused("table kv: column 'partition_id' holds text where an integer belongs");
    }

    [Fact]
    public void A_data_directory_that_is_a_file_or_a_database_path_that_is_a_directory_is_unavailable_naming_it()
    {
        string file = Path.Combine(_dir, "plain-file");
        File.WriteAllText(file, "x");
        var notADirectory = Assert.Throws<StorageUnavailableException>(() => SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = file }));
        Assert.Contains($"data directory '{Path.GetFullPath(file)}'", notADirectory.Message);

        Directory.CreateDirectory(DbPath);
        var notAFile = Assert.Throws<StorageUnavailableException>(() => SqlitePartitionStore.Open(Options));
        Assert.Contains($"data directory '{Path.GetFullPath(_dir)}'", notAFile.Message);
    }

    private void Exec(string sql)
    {
        using var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
