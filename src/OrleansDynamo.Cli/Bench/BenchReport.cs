namespace OrleansDynamo.Cli.Bench;

/// <summary>Latency figures of one row, in milliseconds, read from a <see cref="LatencyHistogram"/>.</summary>
public sealed record LatencySummary(double P50Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs)
{
    private const double NanosPerMs = 1_000_000.0;

    public static LatencySummary From(LatencyHistogram histogram) => new(
        histogram.ValueAtPercentile(50) / NanosPerMs,
        histogram.ValueAtPercentile(99) / NanosPerMs,
        histogram.ValueAtPercentile(99.9) / NanosPerMs,
        histogram.Max / NanosPerMs,
        histogram.Mean / NanosPerMs);
}

/// <summary>
/// One row of the results: an operation (<c>get</c>, <c>put</c>, or <c>all</c>) in one lane (empty, or
/// <c>client</c>/<c>server</c> with <c>--coordination both</c>). Latency covers successful operations.
/// </summary>
public sealed record OpReport(string Op, string Lane, long Count, double OpsPerSecond, long Errors, LatencySummary Latency);

/// <summary>One slice of the measured window: all operations that finished in it.</summary>
public sealed record SliceReport(double StartSeconds, double Seconds, long Count, double OpsPerSecond, long Errors, LatencySummary Latency);

/// <summary>How many versions the gets of one lane returned: the paper's divergent-versions table.</summary>
public sealed record VersionsReport(string Lane, long NotFound, long One, long Two, long Three, long FourOrMore)
{
    /// <summary>Gets that found the key.</summary>
    public long Found => One + Two + Three + FourOrMore;
}

/// <summary>The result of one <c>dynamo bench</c> run.</summary>
public sealed class BenchReport
{
    public required string Target { get; init; }
    public required IReadOnlyList<string> Endpoints { get; init; }
    public required string Workload { get; init; }
    public required string Distribution { get; init; }
    /// <summary><c>client</c>, <c>server</c> or <c>both</c> for Dynamo; empty for etcd.</summary>
    public required string Coordination { get; init; }
    public required int Concurrency { get; init; }
    public required long Keys { get; init; }
    public required int ValueSize { get; init; }
    public uint? R { get; init; }
    public uint? W { get; init; }

    /// <summary>Keys written before measuring (0 without --preload).</summary>
    public long PreloadedKeys { get; init; }
    public double PreloadSeconds { get; init; }
    public long PreloadErrors { get; init; }

    /// <summary>Length of the measured window.</summary>
    public required double Seconds { get; init; }
    /// <summary>Successful operations in the window.</summary>
    public required long Ops { get; init; }
    public required double OpsPerSecond { get; init; }
    /// <summary>Failed operations in the window.</summary>
    public required long Errors { get; init; }
    /// <summary>True when the run was stopped early (Ctrl-C).</summary>
    public bool Interrupted { get; init; }

    /// <summary>Per operation and lane, then per lane <c>all</c> (with several lanes), then the overall <c>all</c> row last.</summary>
    public required IReadOnlyList<OpReport> Operations { get; init; }

    /// <summary>Failed operations by kind (e.g. <c>Timeout</c>, <c>Unavailable</c>).</summary>
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }

    /// <summary>Versions returned per get, per lane.</summary>
    public required IReadOnlyList<VersionsReport> Versions { get; init; }

    /// <summary>Consecutive slices of the measured window (empty without --slice-seconds).</summary>
    public IReadOnlyList<SliceReport> Slices { get; init; } = [];

    /// <summary>The overall row.</summary>
    public OpReport Overall => Operations[^1];
}
