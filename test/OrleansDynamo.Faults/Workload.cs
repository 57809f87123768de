using OrleansDynamo.Client;

namespace OrleansDynamo.Faults;

/// <summary>
/// The client workload through the SDK: unique-key writers (each key written once, W=2, every acknowledgement recorded),
/// blind writers to a few hot keys without context, a resolver that reads a hot key and writes one value over what it
/// saw, and deleters that write a key, delete it with the read's context and read it again. Runs until cancelled.
/// </summary>
public sealed class Workload(DynamoClient client, History history, FaultRunOptions options)
{
    private static readonly PutOptions W2 = new() { W = 2 };

    public Task RunAsync(CancellationToken stop)
    {
        var tasks = new List<Task>();
        for (int w = 0; w < options.UniqueWriters; w++) tasks.Add(Loop(stop, UniqueWriter(w)));
        for (int w = 0; w < options.BlindWriters; w++) tasks.Add(Loop(stop, BlindWriter(w)));
        tasks.Add(Loop(stop, Resolver(), slower: 4));
        for (int w = 0; w < options.Deleters; w++) tasks.Add(Loop(stop, Deleter(w), slower: 2));
        return Task.WhenAll(tasks);
    }

    public static string HotKey(int i) => $"h{i}";

    private async Task Loop(CancellationToken stop, Func<long, Task> step, int slower = 1)
    {
        await Task.Yield();
        for (long seq = 0; !stop.IsCancellationRequested; seq++)
        {
            try
            {
                await step(seq);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(options.ThinkTime * slower, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Records the value as sent, then puts it with W=2; true when acknowledged (a failure is counted by its kind).</summary>
    private async Task<bool> TryPutAsync(string operation, string key, string value, DynamoContext context)
    {
        history.Sent[value] = 0;
        try
        {
            await client.PutAsync("default", key, value, context, W2);
            return true;
        }
        catch (Exception e)
        {
            history.Error(operation, e);
            return false;
        }
    }

    private Func<long, Task> UniqueWriter(int w) => async seq =>
    {
        string key = $"u{w}-{seq}", value = $"u{w}-{seq}";
        bool acked = await TryPutAsync("put", key, value, DynamoContext.Empty);
        history.Unique[key] = new UniqueWrite(key, value, acked, DateTime.UtcNow);
        history.Count("unique put", acked);
    };

    private Func<long, Task> BlindWriter(int w)
    {
        var random = new Random(options.Seed * 31 + w);
        return async seq =>
        {
            string key = HotKey(random.Next(options.HotKeys)), value = $"b{w}-{seq}";
            bool acked = await TryPutAsync("blind put", key, value, DynamoContext.Empty);
            if (acked) history.AckedBlind.Add((key, value));
            history.Count("blind put", acked);
        };
    }

    private Func<long, Task> Resolver()
    {
        var random = new Random(options.Seed * 37);
        return async seq =>
        {
            string key = HotKey(random.Next(options.HotKeys));
            GetResult read;
            try
            {
                read = await client.GetAsync("default", key);
            }
            catch (Exception e)
            {
                history.Error("get", e);
                history.Count("resolver get", false);
                return;
            }
            history.Count("resolver get", true);
            var live = read.Siblings.Where(s => !s.Deleted).Select(s => s.ValueAsString).ToArray();
            history.CheckRead(key, live, "resolver read");
            if (live.Length < 2) return;
            string value = $"r-{seq}";
            history.ResolverSaw[value] = live;
            history.Count("resolving put", await TryPutAsync("resolving put", key, value, read.Context));
        };
    }

    private Func<long, Task> Deleter(int w) => async seq =>
    {
        string key = $"d{w}-{seq}", value = $"d{w}-{seq}";
        history.Sent[value] = 0;
        bool putAcked = false, readSaw = false, deleteAcked = false;
        try
        {
            await client.PutAsync("default", key, value, DynamoContext.Empty, W2);
            putAcked = true;
            var read = await client.GetAsync("default", key);
            history.CheckRead(key, read.Siblings.Where(s => !s.Deleted).Select(s => s.ValueAsString), "read before delete");
            readSaw = read.Siblings.Any(s => !s.Deleted && s.ValueAsString == value);
            await client.DeleteAsync("default", key, read.Context, W2);
            deleteAcked = true;
            var again = await client.GetAsync("default", key);
            if (again.Found && readSaw) Interlocked.Increment(ref history.StaleReReads);
            history.CheckRead(key, again.Siblings.Where(s => !s.Deleted).Select(s => s.ValueAsString), "re-read after delete");
        }
        catch (Exception e)
        {
            history.Error(putAcked ? "delete" : "put", e);
        }
        history.Deletes[key] = new DeleteRecord(key, value, putAcked, readSaw, deleteAcked, DateTime.UtcNow);
        history.Count("delete", deleteAcked);
    };
}
