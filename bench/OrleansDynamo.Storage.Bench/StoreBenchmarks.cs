using System.Diagnostics;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage.Sqlite;

namespace OrleansDynamo.Storage.Bench;

/// <summary>Each case opens a fresh store in its own temp directory, runs for a fixed time and prints one line.</summary>
internal sealed class StoreBenchmarks(TimeSpan duration, string root, TextWriter output, TimeSpan groupCommitWindow)
{
    private static readonly SiblingSet OneKiB =
        SiblingSet.Empty.Update(VectorClock.Empty, "bench", new byte[1024], tombstone: false, 1_700_000_000_000);

    private SqlitePartitionStore Open(string name, DurabilityMode durability)
    {
        string dir = Path.Combine(root, name);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        return SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = dir, Durability = durability, GroupCommitWindow = groupCommitWindow });
    }

    /// <summary>Single-key writes of 1 KiB values from <paramref name="writers"/> concurrent loops.</summary>
    public async Task<double> Writes(DurabilityMode durability, int writers)
    {
        await using var store = Open($"writes-{durability}-{writers}", durability);
        var latencies = new List<double>[writers];
        long total = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(1 << 16);
            for (int i = 0; sw.Elapsed < duration; i++)
            {
                long start = Stopwatch.GetTimestamp();
                await store.WriteAsync(i & 63, new DynamoKey("bench", $"w{w}-{i}"), OneKiB);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                Interlocked.Increment(ref total);
            }
        })));
        double seconds = sw.Elapsed.TotalSeconds;
        double cpuPerWrite = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / Math.Max(1, total);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var (batches, writes) = store.CommitStats;
        double rate = total / seconds;
        output.WriteLine($"write  {durability,-6} writers={writers,-3} {rate,10:N0} writes/s   mean batch {writes / (double)Math.Max(1, batches),6:N1}   p50 {Percentile(all, 0.50),6:N2} ms   p99 {Percentile(all, 0.99),6:N2} ms   cpu {cpuPerWrite,5:N0} µs/write");
        return rate;
    }

    /// <summary>Random point reads of present keys from <paramref name="readers"/> concurrent loops.</summary>
    public async Task Reads(int keys, int readers)
    {
        await using var store = Open($"reads-{readers}", DurabilityMode.Normal);
        await Load(store, partition: 7, keys);
        long total = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, readers).Select(r => Task.Run(async () =>
        {
            var random = new Random(r);
            long n = 0;
            while (sw.Elapsed < duration)
            {
                for (int j = 0; j < 64; j++)
                {
                    var set = await store.ReadAsync(7, new DynamoKey("bench", "k" + random.Next(keys)));
                    if (set is null) throw new InvalidOperationException("a loaded key is missing");
                }
                n += 64;
            }
            Interlocked.Add(ref total, n);
        })));
        output.WriteLine($"read   point  readers={readers,-3} {total / sw.Elapsed.TotalSeconds,10:N0} reads/s    ({keys:N0} keys of 1 KiB)");
    }

    /// <summary>Full scans of one partition in pages of <paramref name="pageSize"/>, repeated for the duration.</summary>
    public async Task Scan(int keys, int pageSize)
    {
        await using var store = Open("scan", DurabilityMode.Normal);
        await Load(store, partition: 3, keys);
        long total = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            ScanCursor? cursor = null;
            do
            {
                var page = await store.ScanAsync(3, cursor, pageSize);
                total += page.Entries.Count;
                cursor = page.Next;
            }
            while (cursor is not null);
        }
        while (sw.Elapsed < duration);
        output.WriteLine($"scan   page={pageSize,-5}        {total / sw.Elapsed.TotalSeconds,10:N0} keys/s     ({keys:N0} keys of 1 KiB, decoded)");
    }

    private static async Task Load(SqlitePartitionStore store, int partition, int keys)
    {
        const int concurrency = 64;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            for (int i = w; i < keys; i += concurrency) await store.WriteAsync(partition, new DynamoKey("bench", "k" + i), OneKiB);
        })));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
}
