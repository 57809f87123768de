using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.CrashWriter;
using OrleansDynamo.Storage.Log;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// Crash safety of the log engine for real, as <see cref="SqliteCrashTests"/>: a child process writes in Full mode (64 KiB
/// data files, so it rolls over several times) and prints each ack; it is killed with SIGKILL mid-stream; every
/// acknowledged key must then be present with its exact value, and the store must open.
/// </summary>
public sealed class LogCrashTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(300)]
    [InlineData(1500)]
    public async Task Every_acknowledged_write_survives_SIGKILL(int killAfterAcks)
    {
        string dir = TempDirectory();
        try
        {
            var acked = await CrashWriterProcess.RunAndKillAsync(dir, StorageOptions.LogEngine, writers: 16, killAfterAcks);
            Assert.True(acked.Count >= killAfterAcks, $"only {acked.Count} acks");
            var names = Directory.GetFiles(Path.Combine(dir, LogStoreOptions.ValuesFolder)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            int files = LogTestFiles.DataFiles(dir).Length;
            if (killAfterAcks > 1000) Assert.True(files > 1, "the writer rolled over to new data files before it was killed");

            var warnings = new List<string>();
            await using var store = LogPartitionStore.Open(new LogStoreOptions { DataDirectory = dir, Warning = warnings.Add });
            foreach (var key in acked)
            {
                var stored = await store.ReadAsync(CrashPayload.PartitionOf(key), new DynamoKey(CrashPayload.Bucket, key));
                Assert.True(stored is not null, $"acknowledged key {key} is missing after the crash");
                Assert.Equal(CrashPayload.SetOf(key), stored);
            }
            long total = (await store.SummarizeAllAsync()).Sum(s => s.KeyCount);
            Assert.True(total >= acked.Count);
            await store.WriteAsync(0, Key("after-the-crash"), Value("v"));
            Assert.Equal(Value("v"), await store.ReadAsync(0, Key("after-the-crash")));
            output.WriteLine($"{acked.Count} acked, {total} stored after SIGKILL in {files} data files; torn bytes cut: {store.Recovery.TornBytes}; files: {string.Join(' ', names)}; {string.Join(" | ", warnings)}");
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
