namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>Rates and latency percentiles of one operation on one side over the stats window.</summary>
public sealed record OperationStats(
    string Operation, string Side, long Count, double RatePerSecond, long Errors,
    double MeanMs, double P50Ms, double P99Ms, double P999Ms, double MaxMs);

/// <summary>
/// Per completed second (oldest first): coordinator-side requests per second and latency percentiles, and
/// <see cref="Events"/>: hints stored and delivered, read repairs and keys repaired by anti-entropy in each of the same seconds.
/// </summary>
public sealed record StatsSeries(long[] Seconds, double[] Rate, double[] P50Ms, double[] P99Ms, double[] P999Ms, Dictionary<string, long[]>? Events = null);

/// <summary>
/// What /api/stats answers: one silo's numbers (scope "silo") or the whole cluster's, merged from
/// every silo that answered (scope "cluster"). <see cref="Coordinator"/> is all coordinator-side
/// requests together, averaged over the window; <see cref="CurrentRatePerSecond"/> the same requests over the last
/// <see cref="CurrentSeconds"/> completed seconds (the right end of the rate chart); <see cref="Versions"/> counts gets by
/// versions returned (1, 2, 3, 4+).
/// </summary>
public sealed record StatsReport(
    string Silo, string Scope, int WindowSeconds, string[] Silos, string[] Missing,
    OperationStats Coordinator, OperationStats[] Operations, StatsSeries Series,
    Dictionary<string, long> Versions, Dictionary<string, double> LoadPerSilo, Dictionary<string, long> Counters,
    double CurrentRatePerSecond = 0, int CurrentSeconds = 0);

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
/// handled, as coordinator or as replica (<see cref="CoordinatedPerSecond"/> plus <see cref="ReplicaPerSecond"/>);
/// <see cref="Process"/> its process now, <see cref="HintsWaiting"/> the hints it holds for others, <see cref="EventSeconds"/>
/// its hint and repair events in each of the seconds of <see cref="CoordinatorSeconds"/>' range (the added ones are
/// null or 0 from a silo of an older version).
/// </summary>
public sealed record RawStats(
    string Silo, long NowSecond, int WindowSeconds, double LoadPerSecond, RawSeries[] Series, RawSecond[] CoordinatorSeconds,
    Dictionary<string, long> Versions, Dictionary<string, long> Counters, ProcessStats? Process = null,
    double CoordinatedPerSecond = 0, double ReplicaPerSecond = 0, long HintsWaiting = 0, Dictionary<string, long[]>? EventSeconds = null);

/// <summary>A silo's request load: every request it handled per second, and that split by side.</summary>
public sealed record SiloLoad(double Total, double Coordinated, double Replica, long HintsWaiting = 0)
{
    public static SiloLoad Of(RawStats raw) => new(raw.LoadPerSecond, raw.CoordinatedPerSecond, raw.ReplicaPerSecond, raw.HintsWaiting);
}
