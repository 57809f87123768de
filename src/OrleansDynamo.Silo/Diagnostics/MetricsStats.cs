namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>Rates and latency percentiles of one operation on one side over the stats window.</summary>
public sealed record OperationStats(
    string Operation, string Side, long Count, double RatePerSecond, long Errors,
    double MeanMs, double P50Ms, double P99Ms, double P999Ms, double MaxMs);

/// <summary>Per completed second (oldest first): coordinator-side requests per second and latency percentiles.</summary>
public sealed record StatsSeries(long[] Seconds, double[] Rate, double[] P50Ms, double[] P99Ms, double[] P999Ms);

/// <summary>
/// What /api/stats answers: one silo's numbers (scope "silo") or the whole cluster's, merged from
/// every silo that answered (scope "cluster"). <see cref="Coordinator"/> is all coordinator-side
/// requests together; <see cref="Versions"/> counts gets by versions returned (1, 2, 3, 4+).
/// </summary>
public sealed record StatsReport(
    string Silo, string Scope, int WindowSeconds, string[] Silos, string[] Missing,
    OperationStats Coordinator, OperationStats[] Operations, StatsSeries Series,
    Dictionary<string, long> Versions, Dictionary<string, double> LoadPerSilo, Dictionary<string, long> Counters);

/// <summary>A histogram as sent between silos: the non-empty buckets of a <see cref="MetricsLatencyHistogram"/>.</summary>
public sealed record RawHistogram(Dictionary<int, long> Buckets, long SumMicros, long MaxMicros)
{
    public static RawHistogram Of(MetricsLatencyHistogram h) => new(h.NonEmptyBuckets(), h.SumMicros, h.MaxMicros);

    public void AddTo(MetricsLatencyHistogram h) => h.AddBuckets(Buckets, SumMicros, MaxMicros);
}

public sealed record RawSeries(string Operation, string Side, double RatePerSecond, long Errors, RawHistogram Latency);

public sealed record RawSecond(long Second, RawHistogram Latency);

/// <summary>
/// One silo's window in mergeable form (/api/stats?scope=raw): what the cluster view and the
/// load-balance gauges are built from. <see cref="LoadPerSecond"/> counts every request the silo
/// handled, as coordinator or as replica; <see cref="Process"/> its process now (null from a silo of an older version).
/// </summary>
public sealed record RawStats(
    string Silo, long NowSecond, int WindowSeconds, double LoadPerSecond, RawSeries[] Series, RawSecond[] CoordinatorSeconds,
    Dictionary<string, long> Versions, Dictionary<string, long> Counters, ProcessStats? Process = null);
