namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// What the silo's OpenTelemetry metrics export, bound from the "Silo:Metrics" section. <c>/metrics</c> on the HTTP port
/// (Prometheus text) is always served; an OTLP exporter is added when <see cref="OtlpEndpoint"/> is set.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Silo:Metrics";

    /// <summary>
    /// True exports the key and byte gauges once per partition (a <c>partition</c> label: Q series per gauge, 1024 with the
    /// default config); false (the default) exports one series per gauge, the silo's total.
    /// </summary>
    public bool PerPartition { get; set; }

    /// <summary>
    /// True also exports the Orleans instruments recorded on every message or grain call (<see
    /// cref="SiloTelemetry.OrleansPerMessageInstruments"/>: message sizes, gateway traffic, grain directory lookups, the
    /// latency of each grain call). False (the default) leaves them unrecorded: with them a silo spent about 9 % more
    /// CPU per request under workload A (docs/performance.md), and the store's own request counts and latencies cover its traffic.
    /// </summary>
    public bool OrleansPerMessage { get; set; }

    /// <summary>An OTLP collector to push metrics to, e.g. <c>http://127.0.0.1:4317</c>; empty (the default) exports no OTLP.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>The OTLP transport: <c>grpc</c> (the default, port 4317) or <c>http/protobuf</c> (port 4318, path /v1/metrics).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>How often metrics are pushed to the OTLP endpoint. Default 10000 ms.</summary>
    public int OtlpExportIntervalMs { get; set; } = 10_000;

    /// <summary>The OTLP endpoint, or null when OTLP export is off.</summary>
    public Uri? Otlp => string.IsNullOrWhiteSpace(OtlpEndpoint) ? null : new Uri(OtlpEndpoint);

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint)
            && (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            errors.Add($"{Section}:OtlpEndpoint must be an absolute http or https address, got '{OtlpEndpoint}'");
        if (OtlpProtocol is not ("grpc" or "http/protobuf"))
            errors.Add($"{Section}:OtlpProtocol must be 'grpc' or 'http/protobuf', got '{OtlpProtocol}'");
        if (OtlpExportIntervalMs < 100) errors.Add($"{Section}:OtlpExportIntervalMs must be at least 100, got {OtlpExportIntervalMs}");
        return errors;
    }
}
