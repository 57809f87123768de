using OrleansDynamo.Core.Membership;
using Xunit;

namespace OrleansDynamo.Core.Tests.Membership;

public class PhiAccrualDetectorTests
{
    private static readonly PhiAccrualSettings Settings = new(Threshold: 8, WindowSize: 100, MinStdDevMs: 50, AcceptablePauseMs: 0, FirstIntervalEstimateMs: 1000);

    private static PhiAccrualDetector Regular(int beats, long intervalMs, out long last)
    {
        var d = PhiAccrualDetector.Empty(Settings);
        last = 0;
        for (int i = 0; i < beats; i++) d = d.Heartbeat(last = i * intervalMs);
        return d;
    }

    [Fact]
    public void Phi_is_zero_before_the_first_heartbeat() =>
        Assert.Equal(0, PhiAccrualDetector.Empty(Settings).Phi(1_000_000));

    [Fact]
    public void Phi_grows_with_silence_and_crosses_the_threshold()
    {
        var d = Regular(50, 1000, out long last);
        Assert.True(d.IsAvailable(last + 1000));
        double previous = -1;
        for (long t = last; t <= last + 5000; t += 250)
        {
            double phi = d.Phi(t);
            Assert.True(phi >= previous, $"phi fell at {t - last} ms");
            previous = phi;
        }
        Assert.False(d.IsAvailable(last + 5000));
    }

    [Fact]
    public void Regular_heartbeats_learn_the_interval()
    {
        var d = Regular(200, 200, out _); // past the window, so the seed intervals are gone
        Assert.InRange(d.MeanIntervalMs, 190, 210);
        Assert.True(d.StdDevMs < 20);
    }

    [Fact]
    public void The_acceptable_pause_delays_suspicion()
    {
        var strict = Regular(50, 1000, out long last);
        var lenient = PhiAccrualDetector.Empty(Settings with { AcceptablePauseMs = 3000 });
        for (int i = 0; i < 50; i++) lenient = lenient.Heartbeat(i * 1000L);
        Assert.False(strict.IsAvailable(last + 3000));
        Assert.True(lenient.IsAvailable(last + 3000));
    }

    [Fact]
    public void A_heartbeat_after_an_outage_makes_the_silo_available_and_the_outage_is_not_learned()
    {
        var d = Regular(50, 1000, out long last);
        double mean = d.MeanIntervalMs;
        long back = last + 60_000;
        Assert.False(d.IsAvailable(back));
        d = d.Heartbeat(back);
        Assert.True(d.IsAvailable(back + 500));
        Assert.Equal(mean, d.MeanIntervalMs, 6);
    }

    [Fact]
    public void Touch_resets_the_silence_without_learning_an_interval()
    {
        var d = Regular(20, 1000, out long last);
        int samples = d.SampleCount;
        var touched = d.Touch(last + 10);
        Assert.Equal(samples, touched.SampleCount);
        Assert.Equal(last + 10, touched.LastHeartbeatMs);
    }

    [Fact]
    public void The_window_keeps_only_the_latest_intervals()
    {
        var d = PhiAccrualDetector.Empty(Settings with { WindowSize = 10 });
        for (int i = 0; i < 100; i++) d = d.Heartbeat(i * 100L);
        Assert.Equal(10, d.SampleCount);
        Assert.InRange(d.MeanIntervalMs, 99, 101);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_the_field_named()
    {
        var e = Assert.Throws<ArgumentException>(() => PhiAccrualDetector.Empty(Settings with { WindowSize = 1 }));
        Assert.Contains("window size", e.Message);
    }
}
