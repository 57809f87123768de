using System.Diagnostics;
using OrleansDynamo.Client;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AntiEntropyTestKit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 7: foreground load while `dynamo repair` forces exchanges that repair thousands of keys, once
/// with the admission controller off and once on; both p99s are measured and reported (no speed
/// relation is asserted: this machine's timing is too noisy for that).
/// </summary>
public sealed class AntiEntropyAdmissionTests(ITestOutputHelper output)
{
    private const int Q = 16;
    private const int DivergentKeys = 3000;
    private const int Workers = 8;
    private const int OpsPerWorker = 250;

    private sealed record Run(bool Controller, double P50Ms, double P99Ms, int Ops, int Errors, long KeysRepaired, int Repairs, AdmissionStatus? Admission);

    [Fact]
    public async Task Foreground_p99_under_forced_exchanges_is_measured_with_the_admission_controller_off_and_on()
    {
        var off = await MeasureAsync(controller: false);
        var on = await MeasureAsync(controller: true);
        foreach (var run in new[] { off, on })
        {
            output.WriteLine($"controller {(run.Controller ? "on " : "off")}: foreground p50 {run.P50Ms:0.0} ms, p99 {run.P99Ms:0.0} ms over {run.Ops} ops ({run.Errors} failed); " +
                $"{run.Repairs} forced repair round(s) reconciled {run.KeysRepaired} keys" +
                (run.Admission is { } a ? $"; controller slots {a.Slots}/{a.MaxSlots}, shrinks {a.Shrinks}, last p99 seen {a.ForegroundP99Ms:0.0} ms" : ""));
        }
        foreach (var run in new[] { off, on })
        {
            Assert.Equal(Workers * OpsPerWorker, run.Ops);
            Assert.True(run.KeysRepaired > 0, $"controller {run.Controller}: no exchange repaired anything");
        }
        Assert.Null(on.Admission is null ? "the controller was not installed" : null);
        Assert.Null(off.Admission);
    }

    private async Task<Run> MeasureAsync(bool controller)
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q, // SQLite: repairs write to disk like foreground writes
            RequestTimeoutMs = 5000, ReplicaTimeoutMs = 3000, // the machine is shared: slow is measured, not failed
            Configure = (_, o) =>
            {
                ShortSchedule(o, exchangeIntervalMs: 600_000); // exchanges only when forced
                o.AntiEntropy.MaxConcurrentExchanges = 16;
                o.AntiEntropy.MaxKeysPerRepair = 25;
                o.Admission.Enabled = controller;
                o.Admission.MaxSlots = 8;
                o.Admission.TargetP99Ms = 5;
                o.Admission.AdjustIntervalMs = 100;
                o.Admission.WindowMs = 1000;
            },
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        cluster.Partition(["silo2"], ["silo0", "silo1"]);
        await PutAsync(silo0, Enumerable.Range(0, DivergentKeys).Select(i => $"bg-{i}"), k => Value(k.Length, 512));
        await ClearHintsAsync(cluster);
        cluster.HealAll();
        int behind = DivergentKeys - (await DigestsAsync(cluster.Silo("silo2").Runtime)).Count;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silos.All(s => cluster.Silos.All(o => s.Runtime.Detector.IsReachable(o.Name)))),
            TimeSpan.FromSeconds(10), "every silo to see the others again");

        var client = await cluster.CreateClientAsync();
        using var stop = new CancellationTokenSource();
        int repairs = 0;
        var forced = Task.WhenAll(cluster.Silos.Select(async s =>
        {
            while (!stop.IsCancellationRequested)
            {
                await s.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None);
                Interlocked.Increment(ref repairs);
            }
        }));
        var latencies = new List<double>();
        int errors = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(async w =>
        {
            var mine = new List<double>(OpsPerWorker);
            for (int i = 0; i < OpsPerWorker; i++)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    if (i % 2 == 0) await client.PutAsync("default", $"fg-{w}-{i % 20}", $"v{i}");
                    else await client.GetAsync("default", $"fg-{w}-{(i - 1) % 20}");
                }
                catch (DynamoException)
                {
                    Interlocked.Increment(ref errors); // a failed request counts with the time it took
                }
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            lock (latencies) latencies.AddRange(mine);
        }));
        stop.Cancel();
        await forced.WaitAsync(TimeSpan.FromSeconds(60));
        await TestCluster.WaitUntilAsync(async () =>
        {
            await Task.WhenAll(cluster.Silos.Select(s => s.AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None)));
            return await DifferenceAsync(cluster) is null;
        }, TimeSpan.FromSeconds(30), "the replicas to be equal after the load");
        var failed = cluster.Silos.SelectMany(s => s.AntiEntropy().Status().Trees).Count(t => t.LastOutcome?.StartsWith("Failed", StringComparison.Ordinal) == true);
        output.WriteLine($"controller {(controller ? "on" : "off")}: silo2 lacked {behind} keys after the heal; {Sum(cluster, AntiEntropyCounters.KeysRepaired)} counted repaired; " +
            $"{failed} tree(s) whose last exchange failed");
        latencies.Sort();
        double P(double q) => latencies[Math.Clamp((int)Math.Ceiling(q * latencies.Count) - 1, 0, latencies.Count - 1)];
        output.WriteLine($"controller {(controller ? "on" : "off")}: load ran {watch.Elapsed.TotalSeconds:0.0} s");
        return new Run(controller, P(0.5), P(0.99), latencies.Count, errors, Sum(cluster, AntiEntropyCounters.KeysRepaired), repairs,
            cluster.Silo("silo2").Runtime.Feature<AdmissionFeature>()!.Status());
    }
}
