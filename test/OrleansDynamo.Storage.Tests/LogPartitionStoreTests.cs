using Microsoft.Data.Sqlite;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.Log;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>The conformance suite against <see cref="LogPartitionStore"/> in a temp directory, Full durability, default file size.</summary>
public sealed class LogPartitionStoreTests : PartitionStoreConformance
{
    private readonly string _dir = TempDirectory();

    protected override IPartitionStore CreateStore() => LogPartitionStore.Open(new LogStoreOptions { DataDirectory = _dir, Warning = _ => { } });

    protected override void Cleanup() => DeleteDirectory(_dir);

    protected override Task<long> PlantHintAsync(string target, int partition, DynamoKey key, byte[] blob, long createdAtMs) =>
        Task.FromResult(LogTestFiles.PlantHint(_dir, target, partition, key, blob, createdAtMs));

    protected override async Task PlantValueAsync(int partition, DynamoKey key, byte[] blob) =>
        await ((LogPartitionStore)Store).WriteRawAsync(partition, key, blob);

    [Fact]
    public async Task Every_call_after_dispose_throws_ObjectDisposedException()
    {
        var store = (LogPartitionStore)Store;
        await store.WriteAsync(1, Key("k"), Value("v"));
        var bad = new UndecodableValue(1, Key("k"), Key("k").Hash, [], "test");
        await store.DisposeAsync();
        await store.DisposeAsync();
        Func<Task>[] calls =
        [
            async () => await store.ReadAsync(1, Key("k")),
            async () => await store.WriteAsync(1, Key("k"), Value("v")),
            async () => await store.RemoveAsync(1, Key("k")),
            async () => await store.ScanAsync(1, null, 10),
            async () => await store.QuarantineAsync(bad, Now),
            async () => await store.ListQuarantinedAsync(0, 10),
            async () => await store.DropPartitionAsync(1),
            async () => await store.SummarizeAsync(1),
            async () => await store.SummarizeAllAsync(),
            async () => await store.MergeAsync(),
            async () => await store.Hints.AppendAsync(new Hint("silo-b", 1, Key("k"), Value("h"), Now)),
            async () => await store.Hints.CountByTargetAsync(),
            async () => await store.Metadata.GetAsync("ring"),
            async () => await store.Metadata.SetAsync("ring", [1]),
        ];
        foreach (var call in calls) await Assert.ThrowsAsync<ObjectDisposedException>(call);
        Assert.Equal(1, store.Stats.DurableSequence);
    }
}

/// <summary>
/// The conformance suite again with 4 KiB data files, Normal durability and background merges whenever any closed file
/// holds a dead byte: every test then runs across many rollovers with merges rewriting files under it.
/// </summary>
public sealed class LogPartitionStoreSmallFilesTests : PartitionStoreConformance
{
    private readonly string _dir = TempDirectory();

    protected override IPartitionStore CreateStore() => LogPartitionStore.Open(new LogStoreOptions
    {
        DataDirectory = _dir,
        Durability = DurabilityMode.Normal,
        FileSizeBytes = 4096,
        MergeMinDeadBytes = 0,
        MergeDeadShare = 0.01,
        MergeBytesPerSecond = 0,
        MergeCheckInterval = TimeSpan.FromMilliseconds(10),
        Warning = _ => { },
    });

    protected override void Cleanup() => DeleteDirectory(_dir);

    protected override Task<long> PlantHintAsync(string target, int partition, DynamoKey key, byte[] blob, long createdAtMs) =>
        Task.FromResult(LogTestFiles.PlantHint(_dir, target, partition, key, blob, createdAtMs));

    protected override async Task PlantValueAsync(int partition, DynamoKey key, byte[] blob) =>
        await ((LogPartitionStore)Store).WriteRawAsync(partition, key, blob);
}

/// <summary>Files and rows of a log store, reached around it as damage or another program would.</summary>
internal static class LogTestFiles
{
    /// <summary>Inserts a hint row into silo.db through a second connection (checksum intact), as bytes damaged on disk would be found.</summary>
    public static long PlantHint(string dir, string target, int partition, DynamoKey key, byte[] blob, long createdAtMs)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(dir, "silo.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO hints (target, partition_id, bucket, key_name, blob, created_at, crc) VALUES ($t, $p, $b, $k, $v, $at, $c) RETURNING id;";
        cmd.Parameters.AddWithValue("$t", target);
        cmd.Parameters.AddWithValue("$p", partition);
        cmd.Parameters.AddWithValue("$b", key.Bucket);
        cmd.Parameters.AddWithValue("$k", key.Key);
        cmd.Parameters.AddWithValue("$v", blob);
        cmd.Parameters.AddWithValue("$at", createdAtMs);
        cmd.Parameters.AddWithValue("$c", BlobChecksum.Compute(default, blob));
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The data files, oldest first.</summary>
    public static string[] DataFiles(string dir) =>
        Directory.GetFiles(Path.Combine(dir, LogStoreOptions.ValuesFolder), "*.data").Order(StringComparer.Ordinal).ToArray();
}
