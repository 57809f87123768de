using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using OrleansDynamo.Client;

namespace OrleansDynamo.Faults;

/// <summary>The outcome of waiting for a set of keys' replicas to agree.</summary>
public sealed record Convergence(int Keys, bool Converged, TimeSpan Took, IReadOnlyList<string> Diverged)
{
    public override string ToString() => Converged
        ? $"{Keys} keys converged in {Took.TotalSeconds:0.0} s"
        : $"{Diverged.Count} of {Keys} keys NOT converged after {Took.TotalSeconds:0.0} s (e.g. {string.Join("; ", Diverged.Take(3))})";
}

/// <summary>
/// The checkers: replicas converge without client reads (GetReplicas reads each replica's store, no read repair), hints
/// drain, every acknowledged write is readable, no deleted key comes back, no value appears that was never written, and the
/// silos' logs hold no unhandled exception.
/// </summary>
public static class Checkers
{
    private const string Bucket = "default";

    /// <summary>Polls the keys' replicas until every replica of every key holds the same versions, or <paramref name="bound"/> passes.</summary>
    public static async Task<Convergence> ConvergeAsync(DynamoClient client, IReadOnlyCollection<string> keys, TimeSpan bound, CancellationToken stop = default)
    {
        var clock = Stopwatch.StartNew();
        var pending = keys.ToList();
        var why = new ConcurrentDictionary<string, string>();
        while (true)
        {
            why.Clear();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stop }, async (key, ct) =>
            {
                if (await DivergenceAsync(client, key, ct) is { } reason) why[key] = reason;
            });
            pending = pending.Where(why.ContainsKey).ToList();
            if (pending.Count == 0) return new Convergence(keys.Count, true, clock.Elapsed, []);
            if (clock.Elapsed >= bound || stop.IsCancellationRequested)
                return new Convergence(keys.Count, false, clock.Elapsed, pending.Select(k => $"{k}: {why[k]}").ToList());
            await Task.Delay(500, stop);
        }
    }

    /// <summary>Null when all N replicas of the key are reachable and hold the same versions; else why not.</summary>
    private static async Task<string?> DivergenceAsync(DynamoClient client, string key, CancellationToken ct)
    {
        ReplicaReport report;
        try
        {
            report = await client.GetReplicasAsync(Bucket, key, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return "replicas not asked: " + e.Message.ReplaceLineEndings(" ");
        }
        if (report.Replicas.FirstOrDefault(r => !r.Reachable) is { } down) return $"{down.Silo} unreachable";
        var states = report.Replicas.Select(r => (r.Silo, State: Describe(r))).ToList();
        if (states.Select(s => s.State).Distinct().Count() > 1) return string.Join(" | ", states.Select(s => $"{s.Silo}={s.State}"));
        return null;
    }

    private static string Describe(ReplicaState r) => !r.Found ? "-"
        : string.Join(",", r.Siblings.Select(s => s.Deleted ? $"del@{s.TimestampMs}" : s.ValueAsString).Order(StringComparer.Ordinal));

    /// <summary>Waits until every silo reports no hint waiting; returns how long that took, or null past the bound.</summary>
    public static async Task<(TimeSpan? Took, string Last)> HintsDrainedAsync(DynamoClient client, IEnumerable<string> endpoints, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        while (true)
        {
            ulong total = 0;
            var parts = new List<string>();
            foreach (var e in endpoints)
            {
                try
                {
                    var status = await client.GetStatusAsync(e);
                    ulong waiting = status.HintsWaiting.Values.Aggregate(0UL, (a, b) => a + b);
                    total += waiting;
                    parts.Add($"{status.Silo}:{waiting}");
                }
                catch (Exception ex)
                {
                    total += 1;
                    parts.Add($"{e}: {ex.Message.ReplaceLineEndings(" ")}");
                }
            }
            last = string.Join(", ", parts);
            if (total == 0) return (clock.Elapsed, last);
            if (clock.Elapsed >= bound) return (null, last);
            await Task.Delay(500);
        }
    }

    /// <summary>Reads every key the workload touched and checks it against the history; returns the violations.</summary>
    public static async Task<List<string>> CheckReadsAsync(DynamoClient client, History history, FaultRunOptions options)
    {
        var violations = new ConcurrentQueue<string>();
        async Task<GetResult?> Read(string key)
        {
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    return await client.GetAsync(Bucket, key);
                }
                catch (Exception e) when (attempt < 3)
                {
                    _ = e;
                    await Task.Delay(500);
                }
                catch (Exception e)
                {
                    violations.Enqueue($"key {key} could not be read after healing: {e.Message.ReplaceLineEndings(" ")}");
                    return null;
                }
            }
        }
        static string[] Live(GetResult r) => r.Siblings.Where(s => !s.Deleted).Select(s => s.ValueAsString).ToArray();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8 };

        await Parallel.ForEachAsync(history.Unique.Values, parallel, async (w, _) =>
        {
            if (await Read(w.Key) is not { } r) return;
            var live = Live(r);
            history.CheckRead(w.Key, live, "final read");
            if (w.Acked && !live.Contains(w.Value)) violations.Enqueue($"LOST: acknowledged write {w.Key}={w.Value} (at {w.At:HH:mm:ss.fff}) reads as [{string.Join(",", live)}]");
            if (live.Any(v => v != w.Value)) violations.Enqueue($"unique key {w.Key} holds [{string.Join(",", live)}], not only its one value");
        });

        await Parallel.ForEachAsync(history.Deletes.Values, parallel, async (d, _) =>
        {
            if (await Read(d.Key) is not { } r) return;
            var live = Live(r);
            history.CheckRead(d.Key, live, "final read");
            if (d.DeleteAcked && d.ReadSawValue && live.Length > 0) violations.Enqueue($"RESURRECTED: {d.Key} was deleted (acknowledged at {d.At:HH:mm:ss.fff}) and reads as [{string.Join(",", live)}]");
        });

        for (int i = 0; i < options.HotKeys; i++)
        {
            string key = Workload.HotKey(i);
            if (await Read(key) is not { } r) continue;
            var live = Live(r).ToHashSet();
            history.CheckRead(key, live, "final read");
            // A blind write survives as a sibling, or was superseded by a resolving write that saw it and itself survives (transitively).
            var covered = new Dictionary<string, bool>();
            bool Covered(string value, int depth)
            {
                if (live.Contains(value)) return true;
                if (depth > 10_000) return false;
                if (covered.TryGetValue(value, out var known)) return known;
                covered[value] = false;
                bool result = history.ResolverSaw.Where(kv => kv.Value.Contains(value)).Any(kv => Covered(kv.Key, depth + 1));
                covered[value] = result;
                return result;
            }
            foreach (var (k, v) in history.AckedBlind.Where(b => b.Key == key))
            {
                if (!Covered(v, 0)) violations.Enqueue($"LOST: acknowledged blind write {k}={v} is neither a sibling now nor superseded by a write that saw it");
            }
        }
        return violations.ToList();
    }

    private static readonly Regex Bad = new(@"Unhandled exception|UnobservedTaskException|\bcrit: |Process terminated", RegexOptions.Compiled);

    private const string FailStop = "I have been told I am dead, so this silo will stop!";

    /// <summary>True when the log shows Orleans' fail-stop: membership declared this silo dead and it stopped itself.</summary>
    public static bool DeclaredDead(string file) => File.Exists(file) && File.ReadLines(file).Any(l => l.Contains(FailStop, StringComparison.Ordinal));

    /// <summary>
    /// Lines of the silos' logs that show an unhandled exception (or a critical error), with file and line number. Orleans'
    /// fail-stop ends with "Process terminated" on purpose: in a log that shows it, that line is not counted.
    /// </summary>
    public static List<string> CheckLogs(IEnumerable<string> files)
    {
        var found = new List<string>();
        foreach (var file in files.Where(File.Exists))
        {
            bool failStop = DeclaredDead(file);
            int n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                if (failStop && line.StartsWith("Process terminated", StringComparison.Ordinal)) continue;
                if (Bad.IsMatch(line)) found.Add($"{Path.GetFileName(file)}:{n}: {(line.Length > 300 ? line[..300] : line)}");
            }
        }
        return found;
    }

    /// <summary>Log lines at error level, counted by their category and the first words of the message (for the report).</summary>
    public static Dictionary<string, int> ErrorLines(IEnumerable<string> files)
    {
        var counts = new Dictionary<string, int>();
        foreach (var file in files.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(file))
            {
                int at = line.IndexOf(" fail: ", StringComparison.Ordinal);
                if (at < 0) continue;
                var text = line[(at + 7)..];
                text = Regex.Replace(text, @"\d+", "#");
                if (text.Length > 120) text = text[..120];
                counts[text] = counts.GetValueOrDefault(text) + 1;
            }
        }
        return counts;
    }
}
