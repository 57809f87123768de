using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.CrashWriter;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// Crash safety for real: a child process writes in Full mode and prints each ack; it is killed with
/// SIGKILL mid-stream; every acknowledged key must then be present with its exact value, and the
/// store must open without any repair step.
/// </summary>
public sealed class SqliteCrashTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(300)]
    [InlineData(900)]
    public async Task Every_acknowledged_write_survives_SIGKILL(int killAfterAcks)
    {
        string dir = TempDirectory();
        try
        {
            var acked = await CrashWriterProcess.RunAndKillAsync(dir, StorageOptions.SqliteEngine, writers: 16, killAfterAcks);
            Assert.True(acked.Count >= killAfterAcks, $"only {acked.Count} acks");
            Assert.True(File.Exists(Path.Combine(dir, "silo.db-wal")), "the killed process left its WAL behind (recovery is exercised)");

            await using var store = SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = dir });
            foreach (var key in acked)
            {
                var stored = await store.ReadAsync(CrashPayload.PartitionOf(key), new DynamoKey(CrashPayload.Bucket, key));
                Assert.True(stored is not null, $"acknowledged key {key} is missing after the crash");
                Assert.Equal(CrashPayload.SetOf(key), stored);
            }
            long total = (await store.SummarizeAllAsync()).Sum(s => s.KeyCount);
            Assert.True(total >= acked.Count);
            output.WriteLine($"{acked.Count} acked, {total} stored after SIGKILL");
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
