using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>What a bounded writer did: the acknowledged writes (key → value) and the failed attempts.</summary>
internal sealed class WriteLog
{
    public ConcurrentDictionary<string, string> Acked { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Failures { get; } = new();

    public int Attempts;

    public string FailureSample(int count = 5) => string.Join(" | ", Failures.Take(count));
}

/// <summary>The client-side workloads of the fault tests: bounded writers, checked readers, replica inspection.</summary>
internal static class Workload
{
    public const string Bucket = "default";

    /// <summary>
    /// Puts keys <c>{prefix}-0000</c>.. (distinct, each once, a value unique to the run) with W=2 from
    /// <paramref name="workers"/> concurrent workers until <paramref name="count"/> were tried or
    /// <paramref name="limit"/> passed. A put that returned is acknowledged; one that threw is a failure (its
    /// value may or may not be stored, and is not checked; the failure names the time since the writer started).
    /// <paramref name="onAck"/> sees the running count of
    /// acknowledged puts. Each worker pauses <paramref name="pause"/> between puts, so that a fault injected
    /// part-way finds puts before, during and after it.
    /// </summary>
    public static async Task<WriteLog> WriteAsync(DynamoClient client, string prefix, int count, int workers, TimeSpan limit, TimeSpan pause, Action<int>? onAck = null)
    {
        var log = new WriteLog();
        var clock = Stopwatch.StartNew();
        string run = Guid.NewGuid().ToString("N")[..8];
        int next = -1;
        var options = new PutOptions { W = 2 };
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < limit)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= count) return;
                string key = $"{prefix}-{i:D4}", value = $"{key}={run}";
                Interlocked.Increment(ref log.Attempts);
                try
                {
                    await client.PutAsync(Bucket, key, value, null, options);
                    log.Acked[key] = value;
                    onAck?.Invoke(log.Acked.Count);
                }
                catch (DynamoException e)
                {
                    log.Failures.Enqueue($"{key} (at {clock.Elapsed.TotalSeconds:0.00} s): {e.Kind}: {e.Message}");
                }
                if (pause > TimeSpan.Zero) await Task.Delay(pause);
            }
        })));
        return log;
    }

    /// <summary>
    /// Reads every key with R=<paramref name="r"/> and returns each problem: an acknowledged value missing from
    /// a successful read (a lost write), or a read that failed three times in a row.
    /// </summary>
    public static async Task<List<string>> CheckReadableAsync(DynamoClient client, IReadOnlyDictionary<string, string> acked, uint r = 2, int workers = 4)
    {
        var problems = new ConcurrentQueue<string>();
        var options = new GetOptions { R = r };
        await Parallel.ForEachAsync(acked, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (entry, _) =>
        {
            string? lastError = null;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                GetResult result;
                try
                {
                    result = await client.GetAsync(Bucket, entry.Key, options);
                }
                catch (DynamoException e)
                {
                    lastError = $"{e.Kind}: {e.Message}";
                    continue;
                }
                if (!result.Found || !result.Siblings.Any(s => !s.Deleted && s.ValueAsString == entry.Value))
                    problems.Enqueue($"{entry.Key}: acknowledged value '{entry.Value}' not read (found={result.Found}, siblings=[{string.Join(", ", result.Siblings)}], coordinator {result.Coordinator})");
                return;
            }
            problems.Enqueue($"{entry.Key}: read failed 3 times, last: {lastError}");
        });
        return [.. problems];
    }

    /// <summary>
    /// Of <paramref name="keys"/>, those whose replica on <paramref name="silo"/> does not hold the acknowledged
    /// value yet, read from each replica's store with no read repair (the client's replicas view). Keys whose
    /// preference list does not name <paramref name="silo"/> are left out (counted in <c>NotReplica</c>).
    /// </summary>
    public static async Task<(List<string> Missing, int NotReplica, string Sample)> MissingOnReplicaAsync(
        DynamoClient client, string silo, IReadOnlyCollection<string> keys, IReadOnlyDictionary<string, string> acked, int workers = 4)
    {
        var missing = new ConcurrentQueue<string>();
        var why = new ConcurrentQueue<string>();
        int notReplica = 0;
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = workers }, async (key, _) =>
        {
            ReplicaReport report;
            try
            {
                report = await client.GetReplicasAsync(Bucket, key);
            }
            catch (DynamoException e)
            {
                missing.Enqueue(key);
                why.Enqueue($"{key}: replicas view failed: {e.Kind}: {e.Message}");
                return;
            }
            if (!report.PreferenceList.Contains(silo))
            {
                Interlocked.Increment(ref notReplica);
                return;
            }
            var mine = report.Replicas.FirstOrDefault(r => r.Silo == silo);
            if (mine is { Reachable: true, Found: true } && mine.Siblings.Any(s => !s.Deleted && s.ValueAsString == acked[key])) return;
            missing.Enqueue(key);
            why.Enqueue(mine is null ? $"{key}: no replica entry for {silo}"
                : $"{key}: {silo} reachable={mine.Reachable} found={mine.Found} siblings=[{string.Join(", ", mine.Siblings)}] {mine.Error}");
        });
        return ([.. missing], notReplica, string.Join(" | ", why.Take(5)));
    }

    /// <summary>A named counter of a silo's status, 0 when absent.</summary>
    public static ulong Counter(ClusterStatus status, string name) => status.Counters.TryGetValue(name, out var v) ? v : 0;

    /// <summary>Hints waiting on the answering silo for <paramref name="target"/>, 0 when none.</summary>
    public static ulong HintsFor(ClusterStatus status, string target) => status.HintsWaiting.TryGetValue(target, out var v) ? v : 0;
}
