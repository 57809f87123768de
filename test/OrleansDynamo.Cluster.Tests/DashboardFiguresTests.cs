using OrleansDynamo.Silo.Diagnostics;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 17: the dashboard's figures, pure (<see cref="MetricsStatsBuilder"/>): the request-rate tile shows the last
/// seconds, not the minute's average; the hint and repair events of every silo line up with the request series; a
/// cluster off the mean while it recovers, or idle, is not called unbalanced.
/// </summary>
public sealed class DashboardFiguresTests
{
    private static readonly Dictionary<string, long> None = new(StringComparer.Ordinal);

    private static RawStats Raw(string silo, long now, (long Second, int Requests)[] seconds, Dictionary<string, long[]>? events = null)
    {
        var perSecond = seconds.Select(s =>
        {
            var h = new MetricsLatencyHistogram();
            for (int i = 0; i < s.Requests; i++) h.Record(1000);
            return new RawSecond(s.Second, RawHistogram.Of(h));
        }).ToArray();
        double average = seconds.Sum(s => s.Requests) / 60.0;
        return new RawStats(silo, now, 60, average, [], perSecond, None, None, null, average, 0, 0, events);
    }

    [Fact]
    public void The_current_rate_is_the_last_completed_seconds_not_the_windows_average()
    {
        // a burst of 600 req/s in the last 10 s of a quiet minute: the average is 100, the chart's right end 600
        var seconds = Enumerable.Range(0, 10).Select(i => (1000L + 50 + i, 600)).ToArray();
        var report = MetricsStatsBuilder.Build("silo0", "silo", [Raw("silo0", 1060, seconds)], []);
        Assert.Equal(600, report.CurrentRatePerSecond);
        Assert.Equal(MetricsStatsBuilder.CurrentSeconds, report.CurrentSeconds);
        Assert.Equal(600, report.Series.Rate[^1]);
    }

    [Fact]
    public void Events_of_every_silo_are_summed_into_the_seconds_of_the_request_series()
    {
        long[] Ones(int at) => [.. Enumerable.Range(0, 60).Select(i => i == at ? 1L : 0L)];
        // silo1's clock is one second ahead: its last second is the serving silo's second after its last
        var a = Raw("silo0", 2000, [], new() { ["hints_stored"] = Ones(59), ["read_repairs"] = Ones(0) });
        var b = Raw("silo1", 2001, [], new() { ["hints_stored"] = Ones(58) });
        var report = MetricsStatsBuilder.Build("silo0", "cluster", [a, b], []);
        var stored = report.Series.Events!["hints_stored"];
        Assert.Equal(report.Series.Seconds.Length, stored.Length);
        Assert.Equal(1999, report.Series.Seconds[^1]);
        Assert.Equal(2, stored[^1]);
        Assert.Equal(1, report.Series.Events["read_repairs"][0]);
        Assert.All(MetricsStatsBuilder.EventCounters, name => Assert.True(report.Series.Events.ContainsKey(name)));
    }

    [Fact]
    public void Silos_off_the_mean_are_an_alarm_only_when_nothing_explains_it()
    {
        double[] off = [10, 10, 100];
        Assert.Equal(("balanced", null), MetricsStatsBuilder.BalanceState([100, 101, 99], 0.15, 5, null));
        Assert.Equal(("balanced", null), MetricsStatsBuilder.BalanceState([100], 0.15, 5, null));
        Assert.Equal("unbalanced", MetricsStatsBuilder.BalanceState(off, 0.15, 5, null).State);
        Assert.Equal(("recovering", "40 hints waiting"), MetricsStatsBuilder.BalanceState(off, 0.15, 5, "40 hints waiting"));
        Assert.Equal("idle", MetricsStatsBuilder.BalanceState([0.1, 0.1, 1], 0.15, 5, null).State);
    }
}
