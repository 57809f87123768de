using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// The silo's metrics pipeline, OpenTelemetry's standard parts: the meters of this silo's host (OrleansDynamo's own
/// <see cref="MetricsFeature.MeterName"/>, Orleans' <see cref="OrleansMeterName"/>), the .NET runtime's and the
/// process's instruments, exported as Prometheus text at <see cref="ScrapePath"/> and, when configured, over OTLP
/// (<see cref="MetricsOptions"/>). The meter provider belongs to the silo's host: it sees the meters that host's
/// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> made, so silos sharing a test process never mix their numbers.
/// </summary>
public static class SiloTelemetry
{
    public const string ScrapePath = "/metrics";

    /// <summary>The meter Orleans' own instruments (grains, activations, messaging, membership) are made on.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>The service name every silo reports (resource attribute <c>service.name</c>; its silo name is <c>service.instance.id</c>).</summary>
    public const string ServiceName = "orleansdynamo";

    public static void AddSiloTelemetry(this IServiceCollection services, SiloOptions options)
    {
        var metrics = options.Metrics;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: SiloVersion.Current, serviceInstanceId: options.EffectiveSiloName,
                autoGenerateServiceInstanceId: false))
            .WithMetrics(b =>
            {
                b.AddMeter(MetricsFeature.MeterName, OrleansMeterName)
                    .AddRuntimeInstrumentation()
                    .AddProcessInstrumentation()
                    .AddPrometheusExporter(o => o.ScrapeEndpointPath = ScrapePath);
                ((IDeferredMeterProviderBuilder)b).Configure((services, builder) =>
                    builder.AddView(View(services.GetRequiredService<IMeterFactory>(), options)));
                if (metrics.Otlp is { } endpoint)
                {
                    b.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Endpoint = endpoint;
                        exporter.Protocol = metrics.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = metrics.OtlpExportIntervalMs;
                    });
                }
            });
    }

    /// <summary>
    /// Series kept per instrument (distinct tag sets), besides the per-partition gauges. OpenTelemetry allocates every
    /// instrument's points up front at this limit, and its default (2,000) cost a silo 41 MB over the ~230 instruments of
    /// Orleans, the runtime and this store (docs/performance.md, memory at a million keys). No instrument here has more:
    /// their tags are operations, sides, error kinds, peers, grain types and counter names. One that reached it would
    /// fold further tag sets into one series tagged <c>otel.metric.overflow</c>.
    /// </summary>
    public const int SeriesPerInstrument = 512;

    /// <summary>The per-partition gauges need a series per partition (and one for the untagged total).</summary>
    private static int PerPartitionSeries(SiloOptions options) => options.Metrics.PerPartition ? Math.Max(SeriesPerInstrument, options.PartitionCount + 1) : SeriesPerInstrument;

    /// <summary>
    /// Orleans' instruments recorded on every message or every grain call, not on events: each recording is a lookup of
    /// its tags in OpenTelemetry's aggregator (2.8 % of a silo's profile under workload A), and with the tags built at
    /// every call site a silo spent about 9 % more CPU per request with them (docs/performance.md). Exported only with
    /// <see cref="MetricsOptions.OrleansPerMessage"/>. Names ending in '-' are prefixes.
    /// </summary>
    public static readonly IReadOnlyList<string> OrleansPerMessageInstruments =
    [
        "orleans-messaging-sent-messages-size", "orleans-messaging-received-messages-size",
        "orleans-gateway-sent", "orleans-gateway-received",
        "orleans-directory-lookups-",
        "orleans-app-requests-latency",
    ];

    private static bool IsOrleansPerMessage(Instrument instrument) =>
        instrument.Meter.Name == OrleansMeterName && OrleansPerMessageInstruments.Any(name =>
            name.EndsWith('-') ? instrument.Name.StartsWith(name, StringComparison.Ordinal) : instrument.Name == name);

    /// <summary>
    /// Which instruments are exported, and how. OpenTelemetry listens to meters by name, process-wide: a meter another
    /// host's factory made (another silo in the same test process) is dropped. Meters made without a factory (the
    /// runtime's, the process's) belong to the whole process. Orleans' per-message instruments are dropped unless asked
    /// for (a dropped instrument is not listened to at all). Every stream kept is capped at <see cref="SeriesPerInstrument"/>
    /// series, the per-partition gauges at a series a partition.
    /// </summary>
    internal static Func<Instrument, MetricStreamConfiguration?> View(IMeterFactory own, SiloOptions options)
    {
        int perPartitionSeries = PerPartitionSeries(options);
        bool perMessage = options.Metrics.OrleansPerMessage;
        return instrument =>
            instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, own) ? MetricStreamConfiguration.Drop
            : !perMessage && IsOrleansPerMessage(instrument) ? MetricStreamConfiguration.Drop
            : new MetricStreamConfiguration { CardinalityLimit = MetricsFeature.IsPerPartition(instrument.Name) ? perPartitionSeries : SeriesPerInstrument };
    }

    /// <summary>Serves the Prometheus text at <see cref="ScrapePath"/>: counts only, no key or value, so it needs no API key (docs/security.md).</summary>
    public static void MapSiloMetrics(this IEndpointRouteBuilder endpoints) => endpoints.MapPrometheusScrapingEndpoint(ScrapePath);
}
