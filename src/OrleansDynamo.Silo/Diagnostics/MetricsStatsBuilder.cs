namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// Turns one or more silos' <see cref="RawStats"/> into a <see cref="StatsReport"/>: histograms are
/// merged bucket by bucket (so cluster percentiles are true percentiles, not averages of them), rates
/// and counts are summed. Pure.
/// </summary>
public static class MetricsStatsBuilder
{
    public static readonly string[] Operations = ["get", "put", "delete"];

    public static readonly string[] Sides = ["coordinator", "replica"];

    /// <summary>Seconds shown in the per-second series.</summary>
    public const int SeriesSeconds = 60;

    public static StatsReport Build(string silo, string scope, IReadOnlyList<RawStats> raws, IReadOnlyList<string> missing)
    {
        if (raws.Count == 0) throw new ArgumentException("at least the serving silo's stats are needed", nameof(raws));
        int window = raws[0].WindowSeconds;
        var operations = new List<OperationStats>();
        var coordinatorAll = new MetricsLatencyHistogram();
        double coordinatorRate = 0;
        long coordinatorErrors = 0;
        foreach (var side in Sides)
        {
            foreach (var op in Operations)
            {
                var h = new MetricsLatencyHistogram();
                double rate = 0;
                long errors = 0;
                foreach (var raw in raws)
                {
                    foreach (var s in raw.Series)
                    {
                        if (s.Operation != op || s.Side != side) continue;
                        s.Latency.AddTo(h);
                        rate += s.RatePerSecond;
                        errors += s.Errors;
                    }
                }
                operations.Add(Summarize(op, side, h, rate, errors));
                if (side == "coordinator")
                {
                    coordinatorAll.Add(h);
                    coordinatorRate += rate;
                    coordinatorErrors += errors;
                }
            }
        }

        long last = raws[0].NowSecond - 1;
        int count = Math.Min(window, SeriesSeconds);
        var seconds = new long[count];
        var rates = new double[count];
        var p50 = new double[count];
        var p99 = new double[count];
        var p999 = new double[count];
        var bySecond = new Dictionary<long, MetricsLatencyHistogram>();
        foreach (var raw in raws)
        {
            foreach (var sec in raw.CoordinatorSeconds)
            {
                if (!bySecond.TryGetValue(sec.Second, out var h)) bySecond[sec.Second] = h = new MetricsLatencyHistogram();
                sec.Latency.AddTo(h);
            }
        }
        for (int i = 0; i < count; i++)
        {
            long second = last - count + 1 + i;
            seconds[i] = second;
            if (!bySecond.TryGetValue(second, out var h)) continue;
            rates[i] = h.Count;
            p50[i] = Ms(h.Quantile(0.50));
            p99[i] = Ms(h.Quantile(0.99));
            p999[i] = Ms(h.Quantile(0.999));
        }

        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var raw in raws)
        {
            foreach (var (k, v) in raw.Versions) versions[k] = versions.GetValueOrDefault(k) + v;
            foreach (var (k, v) in raw.Counters) counters[k] = counters.GetValueOrDefault(k) + v;
        }
        return new StatsReport(silo, scope, window, [.. raws.Select(r => r.Silo)], [.. missing],
            Summarize("all", "coordinator", coordinatorAll, coordinatorRate, coordinatorErrors), [.. operations],
            new StatsSeries(seconds, rates, p50, p99, p999), versions,
            raws.ToDictionary(r => r.Silo, r => r.LoadPerSecond, StringComparer.Ordinal), counters);
    }

    /// <summary>The fraction of silos whose load is more than <paramref name="threshold"/> off the mean (0 when idle).</summary>
    public static double OutOfBalanceFraction(IReadOnlyCollection<double> loads, double threshold)
    {
        if (loads.Count == 0) return 0;
        double mean = loads.Average();
        if (mean <= 0) return 0;
        return (double)loads.Count(l => Math.Abs(l - mean) > threshold * mean) / loads.Count;
    }

    private static OperationStats Summarize(string op, string side, MetricsLatencyHistogram h, double rate, long errors) =>
        new(op, side, h.Count, Math.Round(rate, 3), errors,
            h.Count == 0 ? 0 : Ms((double)h.SumMicros / h.Count), Ms(h.Quantile(0.50)), Ms(h.Quantile(0.99)), Ms(h.Quantile(0.999)), Ms(h.MaxMicros));

    private static double Ms(double micros) => Math.Round(micros / 1000.0, 3);
}
