using OpenTelemetry;
using OpenTelemetry.Metrics;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 8: the orleansdynamo.* instruments reach any OpenTelemetry exporter through a MeterProvider.</summary>
public sealed class MetricsOpenTelemetryTests
{
    [Fact]
    public async Task An_OpenTelemetry_meter_provider_exports_the_orleansdynamo_instruments()
    {
        var exporter = new CollectingExporter();
        using var provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MetricsFeature.MeterName)
            .AddReader(new BaseExportingMetricReader(exporter))
            .Build()!;
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var client = await cluster.CreateClientAsync();
        for (int i = 0; i < 10; i++) await client.PutAsync("default", "otel-" + i, "v");
        for (int i = 0; i < 10; i++) await client.GetAsync("default", "otel-" + i);

        Assert.True(provider.ForceFlush(10_000));
        var names = exporter.Names();
        foreach (var name in new[] { "orleansdynamo.requests", "orleansdynamo.request.duration", "orleansdynamo.get.versions",
                     "orleansdynamo.hints.stored", "orleansdynamo.read_repairs", "orleansdynamo.load.out_of_balance", "orleansdynamo.silo.events" })
        {
            Assert.Contains(name, names);
        }
        // other tests' silos in this process may export too, hence at least
        Assert.True(exporter.Sum("orleansdynamo.requests", ("operation", "put"), ("side", "coordinator")) >= 10);
        Assert.True(exporter.HistogramCount("orleansdynamo.request.duration") >= 20);
    }

    /// <summary>An exporter that keeps what it was given (metric objects are reused, so it copies the numbers).</summary>
    private sealed class CollectingExporter : BaseExporter<Metric>
    {
        private readonly List<(string Name, Dictionary<string, object?> Tags, double Sum, long Count)> _points = [];

        public override ExportResult Export(in Batch<Metric> batch)
        {
            lock (_points)
            {
                foreach (var metric in batch)
                {
                    foreach (ref readonly var point in metric.GetMetricPoints())
                    {
                        var tags = new Dictionary<string, object?>(StringComparer.Ordinal);
                        foreach (var tag in point.Tags) tags[tag.Key] = tag.Value;
                        (double sum, long count) = metric.MetricType switch
                        {
                            MetricType.LongSum or MetricType.LongSumNonMonotonic => (point.GetSumLong(), 1L),
                            MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => (point.GetSumDouble(), 1L),
                            MetricType.LongGauge => (point.GetGaugeLastValueLong(), 1L),
                            MetricType.DoubleGauge => (point.GetGaugeLastValueDouble(), 1L),
                            MetricType.Histogram => (point.GetHistogramSum(), point.GetHistogramCount()),
                            _ => (0d, 0L),
                        };
                        _points.Add((metric.Name, tags, sum, count));
                    }
                }
            }
            return ExportResult.Success;
        }

        public HashSet<string> Names()
        {
            lock (_points) return _points.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        }

        public double Sum(string name, params (string Key, string Value)[] tags)
        {
            lock (_points)
                return _points.Where(p => p.Name == name && tags.All(t => p.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value))).Sum(p => p.Sum);
        }

        public long HistogramCount(string name)
        {
            lock (_points) return _points.Where(p => p.Name == name).Sum(p => p.Count);
        }
    }
}
