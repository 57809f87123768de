using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// The <c>-wal</c> file stays near <see cref="SqliteStoreOptions.WalSizeLimitBytes"/> under steady writes
/// with concurrent readers (PASSIVE checkpoints alone let it grow without bound), a reader holding an old
/// snapshot delays the restart without holding writes, and every value reads back after reopen.
/// </summary>
public sealed class SqliteWalSizeLimitTests(ITestOutputHelper output)
{
    private const long Limit = 1L << 20;
    private const int ValueBytes = 8192;

    /// <summary>
    /// The file may pass the limit by what is written in about one checkpoint interval, more when a loaded
    /// machine delays the checkpointer; without restarts it grows to about the volume written (26 MB here).
    /// </summary>
    private const long Bound = 8 * Limit;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Wal_stays_near_its_size_limit_while_writers_and_readers_run()
    {
        string dir = TempDirectory();
        try
        {
            var options = Options(dir);
            const int writers = 16, perWriter = 200; // 3,200 values of 8 KiB: about 26 MB, 25x the limit
            var progress = new int[writers];
            long largestWal = 0, reads = 0;
            var sw = Stopwatch.StartNew();
            WalCheckpointStats stats;
            await using (var store = SqlitePartitionStore.Open(options))
            {
                // Each loop writes a value, then reads two values any loop has written: reads run through the
                // read pool while other loops' commits and the checkpoints go on.
                await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
                {
                    var random = new Random(w);
                    for (int i = 0; i < perWriter; i++)
                    {
                        await store.WriteAsync(PartitionOf(w, i), Key(KeyOf(w, i)), ValueOf(w, i));
                        Volatile.Write(ref progress[w], i + 1);
                        TrackMax(ref largestWal, WalLength(options));
                        for (int r = 0; r < 2; r++)
                        {
                            int other = random.Next(writers), done = Volatile.Read(ref progress[other]);
                            if (done == 0) continue;
                            int j = random.Next(done);
                            Assert.Equal(ValueOf(other, j), await store.ReadAsync(PartitionOf(other, j), Key(KeyOf(other, j))));
                            Interlocked.Increment(ref reads);
                        }
                    }
                })));
                stats = store.CheckpointStats;
                output.WriteLine($"{writers * perWriter} writes and {reads} reads in {sw.ElapsedMilliseconds} ms; " +
                                 $"largest WAL {largestWal:N0} bytes (limit {Limit:N0}); {stats}");
            }

            Assert.True(largestWal <= Bound, $"the WAL reached {largestWal:N0} bytes; limit {Limit:N0}, bound {Bound:N0}; {stats}");

            await using var reopened = SqlitePartitionStore.Open(options);
            for (int w = 0; w < writers; w++)
            {
                for (int i = 0; i < perWriter; i++)
                    Assert.Equal(ValueOf(w, i), await reopened.ReadAsync(PartitionOf(w, i), Key(KeyOf(w, i))));
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Fact]
    public async Task A_reader_holding_an_old_snapshot_delays_the_restart_but_not_the_writes()
    {
        string dir = TempDirectory();
        try
        {
            var options = Options(dir);
            await using var store = SqlitePartitionStore.Open(options);
            await WriteMany(store, first: 0, count: 16);

            using (var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = options.DatabasePath, Pooling = false }.ToString()))
            {
                reader.Open();
                using var begin = reader.CreateCommand();
                begin.CommandText = "BEGIN; SELECT COUNT(*) FROM kv;";
                Assert.Equal(16L, begin.ExecuteScalar()); // the snapshot stays open until COMMIT

                // Writes complete while the snapshot is held: the checkpointer does not hold the writer while a reader
                // keeps old frames in use, and when it does try a restart it gives the writer back after WalRestartTimeout.
                await WriteMany(store, first: 16, count: 800);
                var stats = store.CheckpointStats;
                long pinned = WalLength(options);
                output.WriteLine($"with an old snapshot open: WAL {pinned:N0} bytes; {stats}");
                Assert.True(pinned > 4 * Limit, $"an old snapshot keeps the WAL from restarting, yet it is {pinned:N0} bytes");
                Assert.True(stats.RestartsBlocked > 0, $"no restart was tried and blocked: {stats}");

                using var end = reader.CreateCommand();
                end.CommandText = "COMMIT;";
                end.ExecuteNonQuery();
            }

            // Once the reader is gone a retried restart succeeds and the next commit truncates the file to the limit.
            var sw = Stopwatch.StartNew();
            int next = 816;
            while (WalLength(options) > Limit && sw.Elapsed < Deadline) await WriteMany(store, first: next++, count: 1);
            var after = store.CheckpointStats;
            output.WriteLine($"after the reader left: WAL {WalLength(options):N0} bytes after {next - 816} more writes; {after}");
            Assert.True(WalLength(options) <= Limit, $"the WAL is still {WalLength(options):N0} bytes after the reader left; {after}");
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    private static SqliteStoreOptions Options(string dir) => new()
    {
        DataDirectory = dir,
        WalSizeLimitBytes = Limit,
        CheckpointInterval = TimeSpan.FromMilliseconds(5),
    };

    private static async Task WriteMany(SqlitePartitionStore store, int first, int count)
    {
        await Parallel.ForAsync(first, first + count, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => await store.WriteAsync(PartitionOf(0, i), Key(KeyOf(0, i)), ValueOf(0, i)));
    }

    private static long WalLength(SqliteStoreOptions options)
    {
        var wal = new FileInfo(options.DatabasePath + "-wal");
        return wal.Exists ? wal.Length : 0;
    }

    private static void TrackMax(ref long max, long value)
    {
        long seen = Volatile.Read(ref max);
        while (value > seen)
        {
            long was = Interlocked.CompareExchange(ref max, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }

    private static int PartitionOf(int writer, int i) => (writer * 31 + i) & 63;

    private static string KeyOf(int writer, int i) => $"w{writer}-{i}";

    private static SiblingSet ValueOf(int writer, int i)
    {
        var bytes = new byte[ValueBytes];
        new Random(writer * 100_003 + i).NextBytes(bytes);
        return Value(bytes);
    }
}
