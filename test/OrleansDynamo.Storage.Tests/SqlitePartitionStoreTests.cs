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
