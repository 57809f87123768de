using System.Diagnostics;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// Issue 18: a store whose disk fills up (a real 2 MiB tmpfs, mounted by the test; the tests run as root, as the fault
/// tier does) refuses writes with <see cref="StorageFullException"/> naming the file, keeps everything stored before,
/// and takes writes again once space is freed.
/// </summary>
public sealed class SqliteDiskFullTests
{
    [Fact]
    public async Task A_full_disk_refuses_writes_clearly_keeps_what_was_stored_and_recovers_once_space_is_freed()
    {
        await OnSmallDiskAsync(async (dir, filler) =>
        {
            // No background checkpoint during the test (a round starts CheckpointInterval after a commit; the test takes about
            // a second): a round that ran just as the filler was deleted copied WAL pages into silo.db, growing it into the
            // space just freed, and the first write after it still found the disk full (one clean .ci/run, 2026-12-06). The
            // WAL then holds every write, and what the filler frees is the WAL's to use.
            var options = new SqliteStoreOptions { DataDirectory = dir, Durability = DurabilityMode.Full, CheckpointInterval = TimeSpan.FromSeconds(10) };
            await using var store = SqlitePartitionStore.Open(options);
            var value = RandomValue(7);
            var (stored, full) = await FillAsync(store, value);
            Assert.NotNull(full);
            Assert.Contains("is full", full.Message, StringComparison.Ordinal);
            Assert.Contains(dir, full.Message, StringComparison.Ordinal);
            Assert.True(stored > 10, $"only {stored} values fit before the disk was full");

            // Nothing stored before is harmed.
            for (int i = 0; i < stored; i++) Assert.NotNull(await store.ReadAsync(1, Key($"k{i}")));

            // A write while still full is refused again, then space is freed: writes go on.
            await Assert.ThrowsAsync<StorageFullException>(async () => await store.WriteAsync(1, Key("still-full"), Value(value)));
            File.Delete(filler);
            await store.WriteAsync(1, Key("after"), Value(value));
            Assert.NotNull(await store.ReadAsync(1, Key("after")));
        });
    }

    /// <summary>
    /// The same with the background checkpointer at its default interval: a checkpoint round may copy WAL pages into
    /// silo.db as space is freed and take that space first, so the first write after it can still be refused. Writes
    /// must resume on their own, without a restart, once the round is done (within a bounded wait), and lose nothing.
    /// </summary>
    [Fact]
    public async Task With_the_background_checkpointer_on_writes_resume_on_their_own_after_space_is_freed()
    {
        await OnSmallDiskAsync(async (dir, filler) =>
        {
            var options = new SqliteStoreOptions { DataDirectory = dir, Durability = DurabilityMode.Full };
            Assert.True(options.CheckpointInterval > TimeSpan.Zero);
            await using var store = SqlitePartitionStore.Open(options);
            var value = RandomValue(11);
            var (stored, full) = await FillAsync(store, value);
            Assert.True(full is not null, "the 2 MiB disk never filled");
            File.Delete(filler);

            // The operator freed 700 KiB. Each attempt is one write of 16 KiB; a refused one writes nothing.
            var waited = Stopwatch.StartNew();
            int refused = 0;
            int after = 0;
            while (after < 5 && waited.Elapsed < TimeSpan.FromSeconds(15))
            {
                try
                {
                    await store.WriteAsync(1, Key($"after{after}"), Value(value));
                    after++;
                }
                catch (StorageFullException)
                {
                    refused++;
                    await Task.Delay(50);
                }
            }
            Assert.True(after == 5, $"writes did not resume within {waited.Elapsed.TotalSeconds:0.0} s of freeing space ({refused} refused, {after} stored); checkpoints {store.CheckpointStats}");
            for (int i = 0; i < stored; i++) Assert.NotNull(await store.ReadAsync(1, Key($"k{i}")));
            for (int i = 0; i < after; i++) Assert.NotNull(await store.ReadAsync(1, Key($"after{i}")));
        });
    }

    /// <summary>Runs <paramref name="test"/> on a 2 MiB tmpfs of its own, a third of it taken by a filler file the test may delete.</summary>
    private static async Task OnSmallDiskAsync(Func<string, string, Task> test)
    {
        string dir = TempDirectory();
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir);
        try
        {
            // Another file takes a third of the disk; deleting it later is the operator freeing space.
            string filler = Path.Combine(dir, "filler");
            await File.WriteAllBytesAsync(filler, new byte[700 * 1024]);
            await test(dir, filler);
        }
        finally
        {
            Run("umount", dir);
            DeleteDirectory(dir);
        }
    }

    private static byte[] RandomValue(int seed)
    {
        var value = new byte[16 * 1024];
        new Random(seed).NextBytes(value);
        return value;
    }

    /// <summary>Writes 16 KiB values under k0, k1, ... until the store refuses one (at most 1,000); returns how many it took and the refusal.</summary>
    private static async Task<(int Stored, StorageFullException? Full)> FillAsync(SqlitePartitionStore store, byte[] value)
    {
        for (int i = 0; i < 1000; i++)
        {
            try
            {
                await store.WriteAsync(1, Key($"k{i}"), Value(value));
            }
            catch (StorageFullException e)
            {
                return (i, e);
            }
        }
        return (1000, null);
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
