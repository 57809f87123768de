using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Simulation;

/// <summary>
/// The whole cluster under the nemesis, one seed at a time. <c>dotnet test</c> runs a fixed set;
/// OD_SIM_SEEDS=N (from OD_SIM_START=S) runs a soak of N consecutive seeds.
/// </summary>
public sealed class SeededSimulationTests(ITestOutputHelper output)
{
    public const int DefaultSeeds = 200;

    [Fact]
    public void Every_seed_keeps_every_invariant()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("OD_SIM_SEEDS"), out int n) ? n : DefaultSeeds;
        int start = int.TryParse(Environment.GetEnvironmentVariable("OD_SIM_START"), out int s) ? s : 1;
        // OD_SIM_LOG=path also appends progress to a file (test output only appears when the test ends).
        string? file = Environment.GetEnvironmentVariable("OD_SIM_LOG");
        var failures = SeedRunner.Run(start, count, line =>
        {
            output.WriteLine(line);
            if (file is not null) File.AppendAllText(file, line + Environment.NewLine);
        });
        // Every violation fails the run, a reused dot included (the bug that once made those expected is fixed;
        // FoundBugsRegressionTests holds its seeds).
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(3).Select(f => f.Report())));
    }
}

/// <summary>Runs consecutive seeds (in parallel on the available cores; each seed is single-threaded).</summary>
public static class SeedRunner
{
    public static List<SimulationResult> Run(int start, int count, Action<string> log, SimulationOptions? options = null)
    {
        var clock = Stopwatch.StartNew();
        var failures = new List<SimulationResult>();
        int done = 0;
        int next = start;
        // Dedicated threads, not the pool: each simulation waits for the pool to be idle before it moves time.
        int parallel = int.TryParse(Environment.GetEnvironmentVariable("OD_SIM_THREADS"), out int p) ? p : Environment.ProcessorCount;
        var threads = Enumerable.Range(0, Math.Max(1, parallel)).Select(_ => new Thread(() =>
        {
            while (true)
            {
                int seed = Interlocked.Increment(ref next) - 1;
                if (seed >= start + count) return;
                var result = SimulationRun.Execute(seed, options);
                lock (failures)
                {
                    done++;
                    if (!result.Passed) failures.Add(result);
                    if (!result.Passed || done % 250 == 0)
                        log($"{done}/{count} seeds, {failures.Count} failed, {clock.Elapsed.TotalSeconds:0} s; seed {seed}: {(result.Passed ? "ok" : result.Report())}");
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        failures.Sort((a, b) => a.Seed.CompareTo(b.Seed));
        log($"{count} seeds from {start}: {count - failures.Count} clean, {failures.Count} failed [{string.Join(",", failures.Select(f => f.Seed))}] " +
            $"in {clock.Elapsed.TotalSeconds:0.0} s");
        return failures;
    }
}
