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

    /// <summary>Completed seconds the current request rate is taken over (the right end of the rate chart).</summary>
    public const int CurrentSeconds = 3;

    /// <summary>The silo counters shown per second beside the request rate (the hints and repairs chart).</summary>
    public static readonly string[] EventCounters =
        [CounterNames.HintsStored, CounterNames.HintsDelivered, CounterNames.ReadRepairs, MetricsFeature.AntiEntropyKeysRepairedCounter];

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
        var events = EventCounters.ToDictionary(n => n, _ => new long[count], StringComparer.Ordinal);
        foreach (var raw in raws)
        {
            if (raw.EventSeconds is null) continue;
            foreach (var (name, values) in raw.EventSeconds)
            {
                if (!events.TryGetValue(name, out var sum)) continue;
                long first = raw.NowSecond - values.Length;
                for (int j = 0; j < values.Length; j++)
                {
                    long i = first + j - (last - count + 1);
                    if (i >= 0 && i < count) sum[i] += values[j];
                }
            }
        }
        int current = Math.Min(CurrentSeconds, count);
        double currentRate = current == 0 ? 0 : rates.Skip(count - current).Sum() / current;

        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        var counters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var raw in raws)
        {
            foreach (var (k, v) in raw.Versions) versions[k] = versions.GetValueOrDefault(k) + v;
            foreach (var (k, v) in raw.Counters) counters[k] = counters.GetValueOrDefault(k) + v;
        }
        return new StatsReport(silo, scope, window, [.. raws.Select(r => r.Silo)], [.. missing],
            Summarize("all", "coordinator", coordinatorAll, coordinatorRate, coordinatorErrors), [.. operations],
            new StatsSeries(seconds, rates, p50, p99, p999, events), versions,
            raws.ToDictionary(r => r.Silo, r => r.LoadPerSecond, StringComparer.Ordinal), counters, Math.Round(currentRate, 3), current);
    }

    /// <summary>
    /// What the out-of-balance figure means now: <c>balanced</c> (no silo off the mean, or fewer than two measured),
    /// <c>idle</c> (a mean under <paramref name="minMeanLoad"/> req/s: too little load to judge), <c>recovering</c>
    /// (silos off the mean while <paramref name="recovery"/> names something that moves load for a while: hints
    /// draining, a silo just restarted or down, a ring change) or <c>unbalanced</c>, the one worth an alarm.
    /// </summary>
    public static (string State, string? Reason) BalanceState(IReadOnlyCollection<double> loads, double threshold, double minMeanLoad, string? recovery)
    {
        if (loads.Count < 2 || OutOfBalanceFraction(loads, threshold) == 0) return ("balanced", null);
        double mean = loads.Average();
        if (mean < minMeanLoad) return ("idle", $"mean load {mean:0.##} req/s, under {minMeanLoad:0.##} req/s: too little to judge");
        return recovery is null ? ("unbalanced", null) : ("recovering", recovery);
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
