using System.Buffers;
using System.Text.Json;
using OrleansDynamo.Cli.Bench;
using OrleansDynamo.Cli.Commands;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 9: `dynamo bench` runs end to end against a 3-silo cluster (it asserts completion, never a speed).</summary>
public sealed class BenchCommandTests
{
    [Fact]
    public async Task A_short_workload_a_run_with_preload_completes_with_operations_and_no_errors()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        string endpoints = string.Join(",", cluster.Silos.Select(s => s.GrpcAddress));
        var settings = BenchCommand.ParseSettings(
            "--endpoint", endpoints, "--workload", "a", "--seconds", "4", "--warmup", "0.2", "--concurrency", "4",
            "--keys", "200", "--value-size", "64", "--preload", "--distribution", "zipfian", "--coordination", "both", "--slice-seconds", "1");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var report = await BenchCommand.RunAsync(settings, live: false, timeout.Token);

        Assert.Equal(200, report.PreloadedKeys);
        Assert.Equal(0, report.PreloadErrors);
        Assert.True(report.Ops > 0, "no operation completed");
        Assert.Equal(0, report.Errors);
        Assert.Empty(report.ErrorsByKind);
        Assert.Contains(report.Operations, o => o is { Op: "get", Lane: "client" } && o.Count > 0);
        Assert.Contains(report.Operations, o => o is { Op: "put", Lane: "server" } && o.Count > 0);
        // Every key was preloaded: every get finds at least one version.
        Assert.All(report.Versions, v => Assert.Equal(0, v.NotFound));
        Assert.True(report.Versions.Sum(v => v.Found) > 0, "no get was counted in the versions table");
        // Four one-second slices cover the window (a second each, so a stall of the shared CI machine leaves none
        // empty); every measured operation is in exactly one.
        Assert.Equal([0.0, 1.0, 2.0, 3.0], report.Slices.Select(sl => sl.StartSeconds));
        Assert.Equal(report.Ops, report.Slices.Sum(sl => sl.Count));
        Assert.All(report.Slices, sl => Assert.True(sl.Count > 0 && sl.Latency.P50Ms > 0, $"the slice from {sl.StartSeconds} s is empty"));

        // The JSON report is one object carrying the same totals.
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) BenchReportWriter.WriteJson(writer, report);
        using var json = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Equal(report.Ops, json.RootElement.GetProperty("ops").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("errors").GetInt64());
        Assert.Equal("dynamo", json.RootElement.GetProperty("target").GetString());
        Assert.Equal(report.Ops, json.RootElement.GetProperty("slices").EnumerateArray().Sum(sl => sl.GetProperty("ops").GetInt64()));
    }

    [Fact]
    public async Task A_run_whose_client_coordinates_its_gets_completes_and_says_so()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        string endpoints = string.Join(",", cluster.Silos.Select(s => s.GrpcAddress));
        var settings = BenchCommand.ParseSettings(
            "--endpoint", endpoints, "--workload", "a", "--seconds", "1", "--warmup", "0", "--concurrency", "4",
            "--keys", "100", "--value-size", "64", "--preload", "--coordination", "client-reads");
        Assert.Equal(BenchCoordination.ClientReads, settings.Coordination);
        var bad = Assert.Throws<ArgumentException>(() => BenchCommand.ParseSettings("--endpoint", endpoints, "--coordination", "client-writes"));
        Assert.Contains("client, server, both or client-reads", bad.Message);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var report = await BenchCommand.RunAsync(settings, live: false, timeout.Token);
        Assert.Equal("client-reads", report.Coordination);
        Assert.Equal(0, report.Errors);
        Assert.Contains(report.Operations, o => o is { Op: "get" } && o.Count > 0);
        Assert.All(report.Versions, v => Assert.Equal(0, v.NotFound));
    }

    [Fact]
    public async Task A_run_with_read_unseen_that_writes_keys_an_earlier_run_wrote_reads_their_context_first_and_adds_no_sibling()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        string endpoints = string.Join(",", cluster.Silos.Select(s => s.GrpcAddress));
        // One worker: two writes of a key never race, so a sibling can only come from a put without the key's context.
        // Many keys for a short run: most keys the second run writes, it writes once (a second put of a key carries the
        // context of the first, which would hide the sibling the first one made).
        const int keys = 1000;
        string[] common = ["--endpoint", endpoints, "--workload", "w", "--warmup", "0", "--concurrency", "1", "--keys", $"{keys}", "--value-size", "16"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await BenchCommand.RunAsync(BenchCommand.ParseSettings([.. common, "--preload", "--seconds", "0.5"]), live: false, timeout.Token);
        Assert.Equal(keys, first.PreloadedKeys);

        // A second run, as a second process would be: it has seen none of the keys the first one wrote.
        // On a loaded machine half a second may hold only a few writes: more such runs follow (each a new process that
        // has seen nothing) until at least 20 keys were written over the first run's.
        var settings = BenchCommand.ParseSettings([.. common, "--seconds", "0.5", "--read-unseen"]);
        long written = 0;
        for (int run = 0; run < 10 && written < 20; run++)
        {
            var second = await BenchCommand.RunAsync(settings, live: false, timeout.Token);
            Assert.Equal(0, second.Errors);
            written += second.Ops;
        }
        Assert.True(written >= 20, $"the later runs wrote only {written} times");

        var client = await cluster.CreateClientAsync();
        for (long i = 0; i < keys; i++)
        {
            var got = await client.GetAsync(settings.Bucket, settings.KeyOf(i));
            Assert.True(got.Found, $"{settings.KeyOf(i)} is missing");
            Assert.Single(got.Siblings);
        }
    }

    [Fact]
    public void The_latency_histogram_reports_percentiles_within_one_percent_and_the_exact_maximum()
    {
        var histogram = new LatencyHistogram();
        var values = new List<long>();
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            // Log-uniform from 100 ns to 10 s: every magnitude the bench sees.
            long value = (long)Math.Pow(10, 2 + random.NextDouble() * 8);
            values.Add(value);
            histogram.Record(value);
        }
        values.Sort();
        foreach (double p in new[] { 50, 99, 99.9 })
        {
            long exact = values[(int)Math.Ceiling(p / 100 * values.Count) - 1];
            long reported = histogram.ValueAtPercentile(p);
            Assert.InRange(reported, exact, exact + exact / 100 + 1);
        }
        Assert.Equal(values[^1], histogram.Max);
        Assert.Equal(values.Count, histogram.Count);
    }

    [Fact]
    public void Bad_bench_arguments_are_refused_with_the_option_named()
    {
        var e = Assert.Throws<ArgumentException>(() => BenchCommand.ParseSettings("--workload", "z"));
        Assert.Contains("--workload", e.Message);
        e = Assert.Throws<ArgumentException>(() => BenchCommand.ParseSettings("--target", "etcd", "--r", "2"));
        Assert.Contains("--r", e.Message);
        e = Assert.Throws<ArgumentException>(() => BenchCommand.ParseSettings("--target", "redis", "--read-unseen"));
        Assert.Contains("--read-unseen", e.Message);
        e = Assert.Throws<ArgumentException>(() => BenchCommand.ParseSettings("--concurrency", "0"));
        Assert.Contains("--concurrency", e.Message);
    }
}
