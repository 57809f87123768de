using System.Diagnostics;
using System.Reflection;
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
    private static string CrashWriterPath =>
        typeof(LogCrashTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CrashWriterPath").Value!;

    [Theory]
    [InlineData(300)]
    [InlineData(1500)]
    public async Task Every_acknowledged_write_survives_SIGKILL(int killAfterAcks)
    {
        string dir = TempDirectory();
        try
        {
            var acked = await RunAndKill(dir, writers: 16, killAfterAcks);
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

    private async Task<HashSet<string>> RunAndKill(string dir, int writers, int killAfterAcks)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", CrashWriterPath, dir, writers.ToString(System.Globalization.CultureInfo.InvariantCulture), "30", StorageOptions.LogEngine })
            psi.ArgumentList.Add(arg);

        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var acked = new HashSet<string>(StringComparer.Ordinal);
        bool killed = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (CrashPayload.TryParseAck(line, out var key)) acked.Add(key);
            if (!killed && acked.Count >= killAfterAcks)
            {
                process.Kill(entireProcessTree: true); // SIGKILL: no flush, no dispose
                killed = true;
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(killed, $"the writer exited on its own (code {process.ExitCode}): {await stderr}");
        return acked;
    }
}
