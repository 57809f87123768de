using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.Log;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// Torn tails are cut, damage in the middle of a data file is refused naming the file and offset, a damaged value is
/// refused by reads and taken by the quarantine, and a directory that lost its files or is not usable is refused.
/// </summary>
public sealed class LogCorruptionTests : IDisposable
{
    private readonly string _dir = TempDirectory();
    private readonly List<string> _warnings = [];

    public void Dispose() => DeleteDirectory(_dir);

    private string Values => Path.Combine(Path.GetFullPath(_dir), LogStoreOptions.ValuesFolder);

    private LogStoreOptions Options(long fileSizeBytes = 64L * 1024 * 1024) => new()
    {
        DataDirectory = _dir,
        FileSizeBytes = fileSizeBytes,
        MergeCheckInterval = TimeSpan.Zero,
        Warning = _warnings.Add,
    };

    /// <summary>Writes k0..k(n-1) into partition 1 and returns where each record is.</summary>
    private async Task<List<(string Path, long Offset, long Length)>> WriteSample(int keys = 20, long fileSizeBytes = 64L * 1024 * 1024)
    {
        await using var store = LogPartitionStore.Open(Options(fileSizeBytes));
        for (int i = 0; i < keys; i++) await store.WriteAsync(1, Key("k" + i), Value("value " + i));
        return Enumerable.Range(0, keys).Select(i => store.LocationOf(1, Key("k" + i))!.Value).ToList();
    }

    private static void Damage(string path, Action<FileStream> change)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        change(f);
    }

    private static void Flip(string path, long offset) => Damage(path, f =>
    {
        f.Position = offset;
        int b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x01));
    });

    private StorageCorruptedException AssertRefused(string path, string because)
    {
        var error = Assert.Throws<StorageCorruptedException>(() => LogPartitionStore.Open(Options()));
        Assert.Contains(path, error.Message);
        Assert.Contains(because, error.Message);
        return error;
    }

    private async Task AssertAllPresent(LogPartitionStore store, int keys)
    {
        for (int i = 0; i < keys; i++) Assert.Equal(Value("value " + i), await store.ReadAsync(1, Key("k" + i)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(-5)]
    public async Task A_last_record_cut_short_is_a_torn_tail_cut_off_at_open_and_the_next_write_follows_it(int keep)
    {
        var at = await WriteSample();
        var last = at[^1];
        long cut = keep > 0 ? last.Offset + keep : last.Offset + last.Length + keep;
        Damage(last.Path, f => f.SetLength(cut));

        await using (var store = LogPartitionStore.Open(Options()))
        {
            Assert.Equal((last.Path, last.Offset, cut - last.Offset), (store.Recovery.TornFile, store.Recovery.TornOffset, store.Recovery.TornBytes));
            Assert.Contains(_warnings, w => w.Contains(last.Path, StringComparison.Ordinal) && w.Contains("torn", StringComparison.Ordinal));
            Assert.Equal(last.Offset, new FileInfo(last.Path).Length);
            await AssertAllPresentBut(store, 19);
            await store.WriteAsync(1, Key("next"), Value("next"));
            Assert.Equal(last.Offset, store.LocationOf(1, Key("next"))!.Value.Offset);
        }
        await using (var reopened = LogPartitionStore.Open(Options()))
        {
            Assert.Null(reopened.Recovery.TornFile);
            await AssertAllPresentBut(reopened, 19);
            Assert.Equal(Value("next"), await reopened.ReadAsync(1, Key("next")));
        }
    }

    private async Task AssertAllPresentBut(LogPartitionStore store, int missing)
    {
        await AssertAllPresent(store, missing);
        Assert.Null(await store.ReadAsync(1, Key("k" + missing)));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("zeros")]
    public async Task Bytes_after_the_last_record_of_the_newest_file_are_a_torn_tail(string what)
    {
        var at = await WriteSample();
        long end = at[^1].Offset + at[^1].Length;
        var junk = new byte[5000];
        if (what == "garbage") new Random(3).NextBytes(junk);
        Damage(at[^1].Path, f =>
        {
            f.Position = end;
            f.Write(junk);
        });

        await using var store = LogPartitionStore.Open(Options());
        Assert.Equal((end, 5000L), (store.Recovery.TornOffset, store.Recovery.TornBytes));
        await AssertAllPresent(store, 20);
        await store.WriteAsync(1, Key("next"), Value("next"));
        Assert.Equal(Value("next"), await store.ReadAsync(1, Key("next")));
    }

    [Fact]
    public async Task A_value_checksum_mismatch_in_the_last_record_of_the_newest_file_is_cut_as_a_torn_append_and_the_older_record_comes_back()
    {
        await using (var store = LogPartitionStore.Open(Options()))
        {
            await store.WriteAsync(1, Key("k"), Value("acknowledged"));
            await store.WriteAsync(1, Key("k"), Value("being written when the power went"));
        }
        var at = await LocateAndClose(LogPartitionStore.Open(Options()), Key("k"));
        Flip(at.Path, at.Offset + at.Length - 3);

        await using var reopened = LogPartitionStore.Open(Options());
        Assert.Equal((at.Offset, at.Length), (reopened.Recovery.TornOffset, reopened.Recovery.TornBytes));
        Assert.Equal(Value("acknowledged"), await reopened.ReadAsync(1, Key("k")));
    }

    private static async Task<(string Path, long Offset, long Length)> LocateAndClose(LogPartitionStore store, DynamoKey key)
    {
        await using (store) return store.LocationOf(1, key)!.Value;
    }

    [Fact]
    public async Task A_bad_header_in_the_middle_of_the_newest_file_is_damage_not_a_torn_tail()
    {
        var at = await WriteSample();
        Flip(at[10].Path, at[10].Offset + 9);
        AssertRefused(at[10].Path, $"at offset {at[10].Offset}: the record header there is not valid");
        Assert.Equal(at[^1].Offset + at[^1].Length, new FileInfo(at[10].Path).Length);
    }

    [Theory]
    [InlineData("header")]
    [InlineData("length")]
    public async Task Header_damage_in_the_middle_of_a_closed_file_is_refused_naming_the_file_and_offset(string field)
    {
        var at = await WriteSample(keys: 200, fileSizeBytes: 4096);
        string first = LogTestFiles.DataFiles(_dir)[0];
        Assert.True(LogTestFiles.DataFiles(_dir).Length > 3);
        var victim = at.Where(a => a.Path == first).Skip(3).First();
        // A flipped sequence byte fails the header checksum; a value length beyond the file cannot be walked past.
        Flip(victim.Path, victim.Offset + (field == "header" ? 9 : 31));
        AssertRefused(first, $"at offset {victim.Offset}");
    }

    [Fact]
    public async Task A_closed_file_cut_short_is_refused_not_cut()
    {
        await WriteSample(keys: 200, fileSizeBytes: 4096);
        string first = LogTestFiles.DataFiles(_dir)[0];
        long length = new FileInfo(first).Length;
        Damage(first, f => f.SetLength(length - 10));
        AssertRefused(first, "runs past the end of the file");
        Assert.Equal(length - 10, new FileInfo(first).Length);
    }

    [Fact]
    public async Task A_flipped_value_byte_is_refused_by_reads_reported_by_scans_and_quarantined_for_good()
    {
        var at = await WriteSample();
        var victim = at[5];
        Flip(victim.Path, victim.Offset + victim.Length - 3);

        await using (var store = LogPartitionStore.Open(Options()))
        {
            Assert.Null(store.Recovery.TornFile);
            var error = await Assert.ThrowsAsync<UndecodableValueException>(async () => await store.ReadAsync(1, Key("k5")));
            Assert.Contains(victim.Path, error.Message);
            Assert.Contains("key default/k5 in partition 1", error.Message);
            Assert.StartsWith("checksum mismatch (stored ", error.Value.Reason);
            Assert.Equal(Key("k5").Hash, error.Value.Hash);
            Assert.Equal(Core.Versioning.VersionCodec.EncodeSiblingSet(Value("value 5")).Length, error.Value.Blob.Length);

            var page = await store.ScanAsync(1, null, 100);
            Assert.Equal(19, page.Entries.Count);
            var found = Assert.Single(page.Undecodable);
            Assert.Equal((1, Key("k5")), (found.Partition, found.Key));
            Assert.False(await store.RemoveAsync(1, Key("k5"), Value("value 5")));

            var moved = await store.QuarantineAsync(found, Now);
            Assert.NotNull(moved);
            Assert.Equal(error.Value.Blob, moved!.Blob);
            Assert.Null(await store.QuarantineAsync(found, Now));
            Assert.Null(await store.ReadAsync(1, Key("k5")));
            Assert.Equal(19, (await store.SummarizeAsync(1)).KeyCount);
        }
        await using (var reopened = LogPartitionStore.Open(Options()))
        {
            Assert.Null(await reopened.ReadAsync(1, Key("k5")));
            Assert.Empty((await reopened.ScanAsync(1, null, 100)).Undecodable);
            var q = Assert.Single(await reopened.ListQuarantinedAsync(0, 10));
            Assert.Equal((1, Key("k5")), (q.Partition, q.Key));
            Assert.StartsWith("checksum mismatch", q.Reason);
            Assert.Equal(19, (await reopened.SummarizeAsync(1)).KeyCount);
        }
    }

    [Fact]
    public async Task A_file_that_is_not_a_data_file_is_refused()
    {
        await WriteSample(keys: 1);
        string file = LogTestFiles.DataFiles(_dir)[0];
        File.WriteAllText(file, "these are not the records you are looking for, not at all, no");
        AssertRefused(file, "not an OrleansDynamo data file");
    }

    [Fact]
    public async Task Data_files_deleted_where_the_directory_held_a_store_are_refused_not_recreated()
    {
        await WriteSample(keys: 1);
        foreach (var f in LogTestFiles.DataFiles(_dir)) File.Delete(f);
        AssertRefused(Values, "it holds no data files, but this data directory held a store");
        Assert.Empty(LogTestFiles.DataFiles(_dir));
    }

    [Fact]
    public async Task A_newest_file_shorter_than_its_header_is_a_torn_creation_and_is_deleted()
    {
        var at = await WriteSample();
        string torn = Path.Combine(Values, "000009.data");
        File.WriteAllBytes(torn, new byte[7]);
        await using var store = LogPartitionStore.Open(Options());
        Assert.False(File.Exists(torn));
        Assert.Contains(_warnings, w => w.Contains(torn, StringComparison.Ordinal));
        await AssertAllPresent(store, 20);
        await store.WriteAsync(1, Key("next"), Value("next"));
        Assert.Equal(at[0].Path, store.LocationOf(1, Key("next"))!.Value.Path);
    }

    [Fact]
    public async Task A_file_shorter_than_its_header_older_than_the_newest_write_file_is_damage()
    {
        await WriteSample(keys: 200, fileSizeBytes: 4096);
        string first = LogTestFiles.DataFiles(_dir)[0];
        File.WriteAllBytes(first, new byte[7]);
        AssertRefused(first, "shorter than its 32-byte header");
    }

    [Fact]
    public async Task A_merge_commit_naming_a_missing_output_is_refused()
    {
        await WriteSample(keys: 1);
        MergeCommit.Write(Values, 42, [77], [1]);
        AssertRefused(MergeCommit.PathOf(Values, 42), "merge output 000077.data it names is missing");
        Assert.Single(LogTestFiles.DataFiles(_dir));
    }

    [Fact]
    public async Task A_data_directory_of_the_sqlite_engine_holding_values_is_refused()
    {
        await using (var sqlite = SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = _dir }))
            await sqlite.WriteAsync(1, Key("k"), Value("v"));
        var error = Assert.Throws<StorageEngineMismatchException>(() => LogPartitionStore.Open(Options()));
        Assert.Contains(Path.Combine(Path.GetFullPath(_dir), "silo.db"), error.Message);
        Assert.Contains("holds 1 values of the sqlite engine", error.Message);
        Assert.Contains("'sqlite'", error.Message);
        Assert.False(Directory.Exists(Values));
    }

    [Fact]
    public async Task A_damaged_merge_commit_record_is_refused()
    {
        await WriteSample(keys: 1);
        string commit = MergeCommit.PathOf(Values, 42);
        MergeCommit.Write(Values, 42, [7], [1]);
        File.WriteAllText(commit, File.ReadAllText(commit).Replace("inputs 1", "inputs 2", StringComparison.Ordinal));
        AssertRefused(commit, "the merge commit record is damaged");
    }

    [Fact]
    public void A_values_directory_that_is_a_file_is_unavailable_naming_it()
    {
        File.WriteAllText(Values, "x");
        var error = Assert.Throws<StorageUnavailableException>(() => LogPartitionStore.Open(Options()));
        Assert.Contains($"data directory '{Values}'", error.Message);

        string file = Path.Combine(_dir, "plain-file");
        File.WriteAllText(file, "x");
        var notADirectory = Assert.Throws<StorageUnavailableException>(() => LogPartitionStore.Open(new LogStoreOptions { DataDirectory = file }));
        Assert.Contains(Path.GetFullPath(file), notADirectory.Message);
    }

    [Fact]
    public async Task A_second_store_on_the_same_directory_is_refused_while_the_first_is_open()
    {
        await using (var first = LogPartitionStore.Open(Options()))
        {
            await first.WriteAsync(1, Key("k"), Value("v"));
            var error = Assert.Throws<StorageUnavailableException>(() => LogPartitionStore.Open(Options()));
            Assert.Contains($"data directory '{Values}'", error.Message);
            Assert.Contains("another store has it open", error.Message);
            Assert.Equal(Value("v"), await first.ReadAsync(1, Key("k")));
        }
        await using var second = LogPartitionStore.Open(Options());
        Assert.Equal(Value("v"), await second.ReadAsync(1, Key("k")));
    }

    [Fact]
    public async Task A_data_file_id_beyond_what_the_key_directory_holds_is_refused()
    {
        await WriteSample(keys: 1);
        string file = Path.Combine(Values, $"{KeySlot.MaxFileId + 1}.data");
        File.Copy(LogTestFiles.DataFiles(_dir)[0], file);
        AssertRefused(file, "its id is above the highest a data file can have");
    }

    [Theory]
    [InlineData(nameof(LogStoreOptions.DataDirectory))]
    [InlineData(nameof(LogStoreOptions.FileSizeBytes))]
    [InlineData(nameof(LogStoreOptions.FlushInterval))]
    [InlineData(nameof(LogStoreOptions.MergeDeadShare))]
    [InlineData(nameof(LogStoreOptions.MergeMinDeadBytes))]
    [InlineData(nameof(LogStoreOptions.MergeBytesPerSecond))]
    [InlineData(nameof(LogStoreOptions.MergeCheckInterval))]
    [InlineData(nameof(LogStoreOptions.MaxValueBytes))]
    [InlineData(nameof(LogStoreOptions.MaxKeyBytes))]
    public void Invalid_options_are_refused_naming_the_field(string field)
    {
        var options = Options();
        switch (field)
        {
            case nameof(LogStoreOptions.DataDirectory): options.DataDirectory = " "; break;
            case nameof(LogStoreOptions.FileSizeBytes): options.FileSizeBytes = 100; break;
            case nameof(LogStoreOptions.FlushInterval): options.FlushInterval = TimeSpan.Zero; break;
            case nameof(LogStoreOptions.MergeDeadShare): options.MergeDeadShare = 0; break;
            case nameof(LogStoreOptions.MergeMinDeadBytes): options.MergeMinDeadBytes = -1; break;
            case nameof(LogStoreOptions.MergeBytesPerSecond): options.MergeBytesPerSecond = -1; break;
            case nameof(LogStoreOptions.MergeCheckInterval): options.MergeCheckInterval = TimeSpan.FromSeconds(-1); break;
            case nameof(LogStoreOptions.MaxValueBytes): options.MaxValueBytes = 0; break;
            default: options.MaxKeyBytes = 0; break;
        }
        var error = Assert.Throws<ArgumentException>(() => LogPartitionStore.Open(options));
        Assert.Contains(field, error.Message);
    }
}
