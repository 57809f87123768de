using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage;
using OrleansDynamo.Storage.CrashWriter;
using OrleansDynamo.Storage.Log;
using OrleansDynamo.Storage.Sqlite;

// Usage: CrashWriter <dataDirectory> <writers> [seconds] [engine]
// Opens the store (engine "sqlite", the default, or "log") in Full durability and writes unique keys from <writers>
// concurrent loops, printing "ack <key> ok" right after each WriteAsync returns, until killed (or the time limit passes).
// With the log engine every fourth write also writes an earlier key again (the same value), so closed files hold dead
// bytes and merges run while the process is killed.
string dir = args[0];
int writers = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var limit = TimeSpan.FromSeconds(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 60);
string engine = args.Length > 3 ? args[3] : StorageOptions.SqliteEngine;

await using IPartitionStore store = engine switch
{
    StorageOptions.SqliteEngine => SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = dir, Durability = DurabilityMode.Full }),
    // Small files, so a run crosses rollovers (and the merges they start) before it is killed.
    StorageOptions.LogEngine => LogPartitionStore.Open(new LogStoreOptions
    {
        DataDirectory = dir,
        Durability = DurabilityMode.Full,
        FileSizeBytes = CrashPayload.LogFileSizeBytes,
        MergeMinDeadBytes = 0,
        MergeDeadShare = 0.1,
        MergeBytesPerSecond = 0,
    }),
    _ => throw new ArgumentException($"unknown engine '{engine}'; expected 'sqlite' or 'log'"),
};
var stdout = Console.Out;
stdout.WriteLine("ready");
using var stop = new CancellationTokenSource(limit);
await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    for (int i = 0; !stop.IsCancellationRequested; i++)
    {
        string key = $"w{w}-{i}";
        await store.WriteAsync(CrashPayload.PartitionOf(key), new DynamoKey(CrashPayload.Bucket, key), CrashPayload.SetOf(key));
        stdout.WriteLine(CrashPayload.AckLine(key));
        if (engine == StorageOptions.LogEngine && i % 4 == 3)
        {
            string again = $"w{w}-{i - 2}";
            await store.WriteAsync(CrashPayload.PartitionOf(again), new DynamoKey(CrashPayload.Bucket, again), CrashPayload.SetOf(again));
        }
    }
})));
