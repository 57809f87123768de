using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Latency measurements run alone: other test classes of this assembly do not share the two cores with them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsTimingCollection
{
    public const string Name = "metrics timing";
}

/// <summary>
/// Issue 8: /api/stats percentiles agree with what the client measured for the same requests on a
/// steady load (2,000 gets and puts, 4 at a time, on silos with a slow two-mode disk, against three silos).
/// </summary>
[Collection(MetricsTimingCollection.Name)]
public sealed class MetricsAccuracyTests(ITestOutputHelper output)
{
    private const int Requests = 2000;
    private const int Concurrency = 4;
    private const double Tolerance = 0.20;

    /// <summary>
    /// The coordinator measures from taking a request to answering it; the client adds its own
    /// encoding, HTTP/2 on loopback and the wait for a thread. That gap is real time, and it grows when
    /// other processes load the machine, so a run whose p50 is off is repeated on a fresh cluster
    /// (three runs at most); the same requests are compared on both sides in every run.
    /// </summary>
    [Fact]
    public async Task Stats_percentiles_agree_with_client_measured_latencies_on_a_steady_load()
    {
        var runs = new List<string>();
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            var (client, server) = await MeasureAsync();
            double p50Off = server.P50Ms / client.P50 - 1, p99Off = server.P99Ms / client.P99 - 1;
            string line = $"run {attempt}: p50 client {client.P50:F3} ms vs coordinator {server.P50Ms:F3} ms ({p50Off:+0.0%;-0.0%}); " +
                $"p99 client {client.P99:F3} ms vs {server.P99Ms:F3} ms ({p99Off:+0.0%;-0.0%}); " +
                $"p99.9 client {client.P999:F3} ms vs {server.P999Ms:F3} ms ({server.P999Ms / client.P999 - 1:+0.0%;-0.0%})";
            output.WriteLine(line);
            runs.Add(line);
            if (Math.Abs(p50Off) <= Tolerance && Math.Abs(p99Off) <= Tolerance) return;
        }
        Assert.Fail("the coordinator's p50 or p99 was more than 20% off the client's in three runs:\n" + string.Join("\n", runs));
    }

    private async Task<((double P50, double P99, double P999) Client, OperationStats Server)> MeasureAsync()
    {
        // A slow disk with a two-mode latency (most operations ~4 ms, one in ten ~40 ms) makes the
        // replicas' work dominate the loopback hop and gives p50 and p99 far apart, so both sides
        // must compute real percentiles (an average, or a per-silo average of percentiles, would miss).
        var random = new Random(8);
        TimeSpan Delay()
        {
            lock (random) return TimeSpan.FromMilliseconds(random.Next(10) == 0 ? 35 + random.Next(10) : 3 + random.Next(3));
        }
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3,
            // The test compares two measurements of the same requests: a stall of the shared machine is measured by
            // both, not failed.
            RequestTimeoutMs = 20_000,
            ReplicaTimeoutMs = 10_000,
            WrapStore = (_, store) => new SlowStore(store, Delay),
        });
        var dynamo = await cluster.CreateClientAsync();
        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        int next = -1;
        var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests && clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                string key = "acc-" + (i % 500);
                long start = Stopwatch.GetTimestamp();
                if (i % 2 == 0) await dynamo.PutAsync("default", key, "value " + i);
                else await dynamo.GetAsync("default", key);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        })).ToList();
        await Task.WhenAll(workers);
        Assert.Equal(Requests, latencies.Count);
        output.WriteLine($"{Requests} requests at concurrency {Concurrency} in {clock.Elapsed.TotalSeconds:F1} s");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var stats = (await http.GetFromJsonAsync<StatsReport>(cluster[0].HttpAddress + "/api/stats?scope=cluster", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
        Assert.Empty(stats.Missing);
        // the same requests on both sides: each is measured once, where it was coordinated
        Assert.Equal(Requests, stats.Coordinator.Count);
        Assert.True(stats.Coordinator.RatePerSecond > 0);

        // /metrics counts the same requests: each once, at its coordinator, with its latency in the histogram
        double coordinated = 0, measured = 0;
        foreach (var silo in cluster.Silos)
        {
            var (_, samples) = MetricsPrometheusText.Parse(await http.GetStringAsync(silo.HttpAddress + "/metrics"));
            bool Coordinator(PrometheusSample s) => s.Labels.TryGetValue("side", out var side) && side == "coordinator";
            coordinated += samples.Where(s => s.Name == "orleansdynamo_requests_total" && Coordinator(s)).Sum(s => s.Value);
            measured += samples.Where(s => s.Name == "orleansdynamo_request_duration_seconds_count" && Coordinator(s)).Sum(s => s.Value);
        }
        Assert.Equal(Requests, coordinated);
        Assert.Equal(Requests, measured);

        var sorted = latencies.Order().ToArray();
        double At(double q) => sorted[(int)Math.Ceiling(q * sorted.Length) - 1];
        return ((At(0.50), At(0.99), At(0.999)), stats.Coordinator);
    }
}
