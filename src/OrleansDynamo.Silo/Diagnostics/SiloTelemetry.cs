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
                ((IDeferredMeterProviderBuilder)b).Configure((services, builder) => builder.AddView(OwnMetersOnly(services.GetRequiredService<IMeterFactory>())));
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
    /// OpenTelemetry listens to meters by name, process-wide: a meter another host's factory made (another silo in the same
    /// test process) is dropped. Meters made without a factory (the runtime's, the process's) belong to the whole process.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OwnMetersOnly(IMeterFactory own) => instrument =>
        instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, own) ? MetricStreamConfiguration.Drop : null;

    /// <summary>Serves the Prometheus text at <see cref="ScrapePath"/>: counts only, no key or value, so it needs no API key (docs/security.md).</summary>
    public static void MapSiloMetrics(this IEndpointRouteBuilder endpoints) => endpoints.MapPrometheusScrapingEndpoint(ScrapePath);
}
