using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansDynamo.Silo.Dashboard;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 8, then issue 17: /metrics on every silo's HTTP port is OpenTelemetry's Prometheus text holding the
/// orleansdynamo.* instruments of that silo alone, Orleans' own meter, the runtime's and the process's, and a gauge per
/// peer; the per-partition series only when configured; an OTLP exporter when configured; the Orleans dashboard and a
/// JSON 404 for unknown API paths beside the Dynamo dashboard.
/// </summary>
public sealed class MetricsEndpointTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static async Task<(IReadOnlyDictionary<string, string> Types, IReadOnlyList<PrometheusSample> Samples)> ScrapeAsync(HttpClient http, TestSilo silo)
    {
        var response = await http.GetAsync(silo.HttpAddress + "/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType);
        return MetricsPrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    private static bool IsOrleansPerMessage(string prometheusName) =>
        new[] { "orleans_messaging_sent_messages_size", "orleans_messaging_received_messages_size", "orleans_gateway_sent", "orleans_gateway_received",
            "orleans_directory_lookups_", "orleans_app_requests_latency" }.Any(p => prometheusName.StartsWith(p, StringComparison.Ordinal));

    private static bool IsDynamo(PrometheusSample s) => s.Labels.TryGetValue("otel_scope_name", out var scope) && scope == MetricsFeature.MeterName;

    [Fact]
    public async Task Metrics_endpoint_is_opentelemetry_prometheus_text_counting_requests_versions_errors_peers_and_background_work()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var client = await cluster.CreateClientAsync();
        for (int i = 0; i < 30; i++) await client.PutAsync("default", "m" + i, "value " + i);
        for (int i = 0; i < 30; i++) Assert.True((await client.GetAsync("default", "m" + i)).Found);
        await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync("no-such-bucket", "k"));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var all = new List<PrometheusSample>();
        var bySilo = new Dictionary<string, IReadOnlyList<PrometheusSample>>();
        IReadOnlyDictionary<string, string> types = new Dictionary<string, string>();
        await TestCluster.WaitUntilAsync(async () =>
        {
            all.Clear();
            foreach (var silo in cluster.Silos)
            {
                var (t, samples) = await ScrapeAsync(http, silo);
                // each silo exports its own meter only, though the three share this process
                Assert.All(samples.Where(IsDynamo), s => Assert.Equal(silo.Name, s.Labels["otel_scope_silo"]));
                Assert.Equal(silo.Name, samples.Single(s => s.Name == "target_info").Labels["service_instance_id"]);
                types = t;
                bySilo[silo.Name] = samples;
                all.AddRange(samples);
            }
            // the gauges fed by the refresh loop (key counts, peers' load) follow after its next round;
            // every replica stores each key in the end: 30 keys x N=3 over the three silos
            return all.Where(s => s.Name == "orleansdynamo_partition_keys").Sum(s => s.Value) == 90
                && all.Count(s => s.Name == "orleansdynamo_load_per_second") >= 9;
        }, TimeSpan.FromSeconds(20), "90 replica keys and every silo's load in /metrics");

        double Sum(string name, params (string Label, string Value)[] labels) =>
            all.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

        Assert.Equal("counter", types["orleansdynamo_requests_total"]);
        Assert.Equal("histogram", types["orleansdynamo_request_duration_seconds"]);
        Assert.Equal("gauge", types["orleansdynamo_load_out_of_balance"]);
        // a forwarded request is measured once, where it was coordinated
        Assert.Equal(30, Sum("orleansdynamo_requests_total", ("operation", "put"), ("side", "coordinator")));
        Assert.True(Sum("orleansdynamo_requests_total", ("operation", "get"), ("side", "coordinator")) >= 30);
        Assert.True(Sum("orleansdynamo_requests_total", ("operation", "put"), ("side", "replica")) >= 30, "replica-side writes");
        Assert.Equal(30, Sum("orleansdynamo_request_duration_seconds_count", ("operation", "put"), ("side", "coordinator")));
        Assert.True(Sum("orleansdynamo_request_duration_seconds_sum", ("operation", "put"), ("side", "coordinator")) > 0);
        Assert.Equal(30, Sum("orleansdynamo_get_versions_total", ("versions", "1")));
        Assert.True(Sum("orleansdynamo_request_errors_total", ("kind", "NotFound")) >= 1, "the unknown bucket counted as an error by kind");
        foreach (var name in new[] { "orleansdynamo_hints_stored_total", "orleansdynamo_hints_delivered_total", "orleansdynamo_hints_dropped_total", "orleansdynamo_hints_quarantined_total", "orleansdynamo_values_quarantined_total",
                     "orleansdynamo_read_repairs_total", "orleansdynamo_antientropy_exchanges_total", "orleansdynamo_antientropy_keys_repaired_total",
                     "orleansdynamo_transfers_total", "orleansdynamo_transfers_active", "orleansdynamo_load_out_of_balance",
                     "orleansdynamo_admission_slots", "orleansdynamo_admission_in_use", "orleansdynamo_partition_size_bytes", "orleansdynamo_silo_events_total",
                     // Orleans' own meter, the .NET runtime's and the process's
                     "orleans_catalog_activations", "dotnet_gc_collections_total",
                     "dotnet_process_memory_working_set_bytes", "process_cpu_time_seconds_total", "process_memory_usage_bytes" })
        {
            Assert.True(types.ContainsKey(name), $"{name} is exported");
        }
        Assert.Contains(all, s => s.Name == "orleans_catalog_activations" && s.Labels["otel_scope_name"] == SiloTelemetry.OrleansMeterName);
        // Orleans' instruments recorded per message or grain call are not recorded unless asked for (the next test asks)
        Assert.DoesNotContain(types.Keys, IsOrleansPerMessage);
        Assert.True(all.First(s => s.Name == "orleansdynamo_admission_slots").Value >= 1, "the admission controller allows at least one background job");
        double fraction = all.First(s => s.Name == "orleansdynamo_load_out_of_balance").Value;
        Assert.InRange(fraction, 0, 1);
        // per-partition series only when asked for: one key count and one size per silo
        Assert.All(all.Where(s => s.Name.StartsWith("orleansdynamo_partition_", StringComparison.Ordinal)), s => Assert.False(s.Labels.ContainsKey("partition")));
        Assert.Equal(3, all.Count(s => s.Name == "orleansdynamo_partition_keys"));

        // a gauge per peer: each silo sees the two others up, and silo0 sees silo2 go once it has stopped
        foreach (var (silo, samples) in bySilo)
        {
            var peers = samples.Where(s => s.Name == "dynamo_peer_up").ToDictionary(s => s.Labels["peer"], s => s.Value);
            Assert.Equal(cluster.Silos.Select(s => s.Name).Where(n => n != silo).Order(), peers.Keys.Order());
            Assert.All(peers.Values, v => Assert.Equal(1, v));
        }
        await cluster.StopSiloAsync("silo2");
        await TestCluster.WaitUntilAsync(async () =>
        {
            var (_, samples) = await ScrapeAsync(http, cluster[0]);
            return samples.Any(s => s.Name == "dynamo_peer_up" && s.Labels["peer"] == "silo2" && s.Value == 0)
                && samples.Any(s => s.Name == "dynamo_peer_up" && s.Labels["peer"] == "silo1" && s.Value == 1);
        }, TimeSpan.FromSeconds(20), "silo0's dynamo_peer_up{peer=\"silo2\"} to drop to 0");
    }

    /// <summary>
    /// Silo:Metrics:PerPartition gives the key and byte gauges one series per partition, every partition even past the
    /// series cap of other instruments (<see cref="SiloTelemetry.SeriesPerInstrument"/>); Silo:Metrics:OrleansPerMessage
    /// records Orleans' per-message instruments; Silo:Metrics:OtlpEndpoint pushes
    /// the same metrics over OTLP (http/protobuf here, to a listener of this test).
    /// </summary>
    [Fact]
    public async Task Per_partition_series_and_the_otlp_exporter_are_switched_on_in_config()
    {
        using var otlp = new OtlpReceiver();
        const int keyCount = 1500;
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, N = 1, R = 1, W = 1, PartitionCount = 1024,
            Configure = (_, o) =>
            {
                o.Metrics.PerPartition = true;
                o.Metrics.OrleansPerMessage = true;
                o.Metrics.OtlpEndpoint = otlp.Endpoint + "v1/metrics";
                o.Metrics.OtlpProtocol = "http/protobuf";
                o.Metrics.OtlpExportIntervalMs = 200;
            },
        });
        var client = await cluster.CreateClientAsync();
        for (int batch = 0; batch < keyCount; batch += 100)
            await Task.WhenAll(Enumerable.Range(batch, 100).Select(i => client.PutAsync("default", "p" + i, "v")));
        int partitionsHoldingKeys = Enumerable.Range(0, keyCount).Select(i => new Core.Keys.DynamoKey("default", "p" + i).Hash.Partition(1024)).Distinct().Count();
        Assert.True(partitionsHoldingKeys > SiloTelemetry.SeriesPerInstrument, $"{partitionsHoldingKeys} partitions hold keys");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        IReadOnlyList<PrometheusSample> keys = [];
        await TestCluster.WaitUntilAsync(async () =>
        {
            keys = [.. (await ScrapeAsync(http, cluster[0])).Samples.Where(s => s.Name == "orleansdynamo_partition_keys")];
            return keys.Sum(s => s.Value) == keyCount;
        }, TimeSpan.FromSeconds(20), $"the {keyCount} keys in the per-partition gauges");
        Assert.Equal(partitionsHoldingKeys, keys.Count);
        Assert.All(keys, s => Assert.InRange(int.Parse(s.Labels["partition"], System.Globalization.CultureInfo.InvariantCulture), 0, 1023));
        Assert.Equal(keys.Count, keys.Select(s => s.Labels["partition"]).Distinct().Count());
        // Silo:Metrics:OrleansPerMessage records Orleans' per-message instruments: the client's puts crossed the gateway
        var types = (await ScrapeAsync(http, cluster[0])).Types;
        foreach (var name in new[] { "orleans_messaging_received_messages_size_bytes", "orleans_gateway_received", "orleans_app_requests_latency_milliseconds" })
            Assert.True(types.Keys.Any(t => t.StartsWith(name, StringComparison.Ordinal)), $"{name} is exported; exported: {string.Join(", ", types.Keys.Where(t => t.StartsWith("orleans_", StringComparison.Ordinal)))}");

        await TestCluster.WaitUntilAsync(() => Task.FromResult(otlp.Received(MetricsFeature.MeterName)), TimeSpan.FromSeconds(20),
            "an OTLP export holding the OrleansDynamo meter");
    }

    [Fact]
    public async Task Json_api_describes_cluster_ring_partitions_hints_and_a_keys_replicas()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, OrleansDashboard = true });
        var client = await cluster.CreateClientAsync();
        for (int i = 0; i < 20; i++) await client.PutAsync("default", "j" + i, "v" + i);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10), BaseAddress = new Uri(cluster[1].HttpAddress!) };

        var view = (await http.GetFromJsonAsync<ClusterView>("/api/cluster", Json))!;
        Assert.Equal("silo1", view.Self);
        Assert.Equal(3, view.Silos.Length);
        Assert.All(view.Silos, s => Assert.Equal("up", s.Status));
        Assert.Equal(64, view.Silos.Sum(s => s.Partitions));
        Assert.All(view.Silos, s => Assert.Equal(64, s.Replicas));

        var ring = (await http.GetFromJsonAsync<RingView>("/api/ring", Json))!;
        Assert.Equal(64, ring.Owners.Length);
        Assert.Equal(["silo0", "silo1", "silo2"], ring.Silos);

        // A put returns on W=2 acks; the third replica's write may still be committing, so the count is polled.
        PartitionsView partitions = null!;
        await TestCluster.WaitUntilAsync(async () =>
        {
            partitions = (await http.GetFromJsonAsync<PartitionsView>("/api/partitions", Json))!;
            return partitions.Partitions.Sum(p => p.Keys.Values.Sum()) == 60;
        }, TimeSpan.FromSeconds(15), "20 keys on three replicas each in /api/partitions");
        Assert.Equal(64, partitions.Partitions.Length);
        Assert.Empty(partitions.Missing);
        Assert.All(partitions.Partitions, p => Assert.Equal(3, p.PreferenceList.Length));
        Assert.Equal(60, partitions.Partitions.Sum(p => p.Keys.Values.Sum()));

        var hints = (await http.GetFromJsonAsync<HintsView>("/api/hints", Json))!;
        Assert.Equal(3, hints.Silos.Length);

        var stats = (await http.GetFromJsonAsync<StatsReport>("/api/stats?scope=cluster", Json))!;
        Assert.Equal(20, stats.Operations.Single(o => o.Operation == "put" && o.Side == "coordinator").Count);
        Assert.Equal(3, stats.Silos.Length);

        var key = (await http.GetFromJsonAsync<KeyView>("/api/key?bucket=default&key=j7", Json))!;
        Assert.Equal(cluster.PreferenceList("default", "j7", 3), key.PreferenceList);
        await TestCluster.WaitUntilAsync(async () =>
        {
            key = (await http.GetFromJsonAsync<KeyView>("/api/key?bucket=default&key=j7", Json))!;
            return key.Replicas.All(r => r.Found);
        }, TimeSpan.FromSeconds(15), "j7 on all three replicas");
        Assert.All(key.Replicas, r => Assert.Equal("v7", Assert.Single(r.Siblings).Value));

        var bad = await http.GetAsync("/api/key?bucket=default&key=");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.False(string.IsNullOrEmpty((await bad.Content.ReadFromJsonAsync<ErrorView>(Json))!.Error));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/key?bucket=nope&key=x")).StatusCode);

        var page = await http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("dashboard.js", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/dashboard/dashboard.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard/nothing.js")).StatusCode);

        // an unknown API path is a JSON 404, not an empty one
        var unknown = await http.GetAsync("/api/unknown");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/json", unknown.Content.Headers.ContentType!.MediaType);
        using (var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()))
        {
            Assert.Equal("not_found", error.RootElement.GetProperty("code").GetString());
            Assert.Contains("/api/unknown", error.RootElement.GetProperty("error").GetString());
        }

        // every silo's process, as the serving silo last heard it, and the way to the Orleans dashboard
        Assert.Equal(["silo0", "silo1", "silo2"], view.Processes!.Keys.Order());
        Assert.All(view.Processes.Values, p =>
        {
            Assert.Equal(SiloVersion.Current, p.Version);
            Assert.True(p.UptimeSeconds > 0 && p.WorkingSetBytes > 0 && p.GcHeapBytes > 0 && p.ProcessorCount > 0);
            Assert.InRange(p.CpuPercent, 0, 100);
        });
        Assert.Equal("/orleans/", view.OrleansDashboard);

        // the Orleans dashboard on every silo: its page, and its counters of the whole cluster
        foreach (var silo in cluster.Silos)
        {
            var orleans = await http.GetAsync(silo.HttpAddress + "/orleans/");
            Assert.Equal(HttpStatusCode.OK, orleans.StatusCode);
            Assert.Equal("text/html", orleans.Content.Headers.ContentType!.MediaType);
            await TestCluster.WaitUntilAsync(async () =>
            {
                var counters = await http.GetAsync(silo.HttpAddress + "/orleans/DashboardCounters");
                if (counters.StatusCode != HttpStatusCode.OK) return false;
                using var body = JsonDocument.Parse(await counters.Content.ReadAsStringAsync());
                return body.RootElement.GetProperty("hosts").GetArrayLength() == 3;
            }, TimeSpan.FromSeconds(20), $"{silo.Name}'s Orleans dashboard to count the three silos");
        }
    }

    [Fact]
    public void Metrics_settings_are_checked_at_start_naming_the_field()
    {
        Assert.Empty(new MetricsOptions().Validate());
        Assert.Empty(new MetricsOptions { OtlpEndpoint = "http://127.0.0.1:4317", PerPartition = true }.Validate());
        Assert.Contains(new MetricsOptions { OtlpEndpoint = "collector:4317" }.Validate(), e => e.StartsWith("Silo:Metrics:OtlpEndpoint", StringComparison.Ordinal));
        Assert.Contains(new MetricsOptions { OtlpProtocol = "udp" }.Validate(), e => e.StartsWith("Silo:Metrics:OtlpProtocol", StringComparison.Ordinal));
        Assert.Contains(new MetricsOptions { OtlpExportIntervalMs = 10 }.Validate(), e => e.StartsWith("Silo:Metrics:OtlpExportIntervalMs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_basic_authorization_carries_the_key_as_its_password()
    {
        static string Basic(string pair) => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pair));
        Assert.Equal("k3y:with:colons", DashboardAccess.FromBasic(Basic("anyone:k3y:with:colons")));
        Assert.Equal("k", DashboardAccess.FromBasic(Basic(":k")));
        Assert.Null(DashboardAccess.FromBasic(Basic("user:")));
        Assert.Null(DashboardAccess.FromBasic(Basic("no-colon")));
        Assert.Null(DashboardAccess.FromBasic("Basic not base64!"));
        Assert.Null(DashboardAccess.FromBasic("Bearer k"));
        Assert.Null(DashboardAccess.FromBasic(null));
    }

    [Fact]
    public void Latency_histogram_quantiles_are_within_its_bucket_width()
    {
        var h = new MetricsLatencyHistogram();
        var values = Enumerable.Range(1, 100_000).Select(i => (long)i * 7).ToArray();
        foreach (var v in values) h.Record(v);
        foreach (var q in new[] { 0.5, 0.9, 0.99, 0.999 })
        {
            double exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            Assert.InRange(h.Quantile(q), exact * 0.96, exact * 1.04);
        }
        for (long v = 0; v < 1_000_000; v = v * 3 / 2 + 1)
        {
            var (low, high) = MetricsLatencyHistogram.BoundsOf(MetricsLatencyHistogram.IndexOf(v));
            Assert.InRange(v, low, high - 1);
        }
    }
}
