using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage;
using OrleansDynamo.Storage.CrashWriter;
using OrleansDynamo.Storage.Sqlite;

// Usage: CrashWriter <dataDirectory> <writers> [seconds]
// Opens silo.db in Full durability and writes unique keys from <writers> concurrent loops, printing
// "ack <key> ok" right after each WriteAsync returns, until killed (or the time limit passes).
string dir = args[0];
int writers = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var limit = TimeSpan.FromSeconds(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 60);

await using var store = SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = dir, Durability = DurabilityMode.Full });
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
    }
})));
