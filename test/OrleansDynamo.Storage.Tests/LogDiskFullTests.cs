using System.Diagnostics;
using OrleansDynamo.Storage.Log;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// As <see cref="SqliteDiskFullTests"/>, for the log engine: on a real 2 MiB tmpfs (mounted by the test; the tests run as
/// root) a full disk refuses writes with <see cref="StorageFullException"/> naming the data file, keeps everything stored
/// before, cuts off the partial record (the next open finds nothing torn), and takes writes again once space is freed.
/// With 64 KiB files the disk also fills while a rollover creates the next file.
/// </summary>
public sealed class LogDiskFullTests
{
    [Theory]
    [InlineData(64L * 1024 * 1024)]
    [InlineData(64L * 1024)]
    public async Task A_full_disk_refuses_writes_clearly_keeps_what_was_stored_and_recovers_once_space_is_freed(long fileSizeBytes)
    {
        string dir = TempDirectory();
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir);
        try
        {
            // Another file takes a third of the disk; deleting it later is the operator freeing space.
            string filler = Path.Combine(dir, "filler");
            await File.WriteAllBytesAsync(filler, new byte[700 * 1024]);
            var options = new LogStoreOptions { DataDirectory = dir, Durability = DurabilityMode.Full, FileSizeBytes = fileSizeBytes, MergeCheckInterval = TimeSpan.Zero };
            var value = new byte[16 * 1024];
            new Random(7).NextBytes(value);
            int stored = 0;
            await using (var store = LogPartitionStore.Open(options))
            {
                StorageFullException? full = null;
                for (int i = 0; i < 1000 && full is null; i++)
                {
                    try
                    {
                        await store.WriteAsync(1, Key($"k{i}"), Value(value));
                        stored++;
                    }
                    catch (StorageFullException e)
                    {
                        full = e;
                    }
                }
                Assert.NotNull(full);
                Assert.Contains("is full", full.Message, StringComparison.Ordinal);
                Assert.Contains(Path.Combine(dir, "values"), full.Message, StringComparison.Ordinal);
                Assert.Contains(".data", full.Message, StringComparison.Ordinal);
                Assert.True(stored > 10, $"only {stored} values fit before the disk was full");

                // Nothing stored before is harmed, and the refused write left nothing behind in the file.
                for (int i = 0; i < stored; i++) Assert.Equal(Value(value), await store.ReadAsync(1, Key($"k{i}")));
                Assert.Null(await store.ReadAsync(1, Key($"k{stored}")));
                var stats = store.Stats;
                Assert.Equal(stats.TotalBytes, LogTestFiles.DataFiles(dir).Sum(f => new FileInfo(f).Length));

                // A write while still full is refused again, then space is freed: writes go on.
                await Assert.ThrowsAsync<StorageFullException>(async () => await store.WriteAsync(1, Key("still-full"), Value(value)));
                File.Delete(filler);
                await store.WriteAsync(1, Key("after"), Value(value));
                Assert.Equal(Value(value), await store.ReadAsync(1, Key("after")));
            }

            // The files are whole: nothing torn to cut, every value there.
            await using (var reopened = LogPartitionStore.Open(options))
            {
                Assert.Equal(0, reopened.Recovery.TornBytes);
                Assert.Equal(stored + 1, (await reopened.SummarizeAsync(1)).KeyCount);
                for (int i = 0; i < stored; i++) Assert.Equal(Value(value), await reopened.ReadAsync(1, Key($"k{i}")));
                Assert.Equal(Value(value), await reopened.ReadAsync(1, Key("after")));
            }
        }
        finally
        {
            Run("umount", dir);
            DeleteDirectory(dir);
        }
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.WaitForExit(10_000);
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed: {p.StandardError.ReadToEnd()}");
    }
}
