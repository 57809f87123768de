using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Membership;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>A clock a test moves by hand.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>The silo's phi accrual detector driven by a manual clock.</summary>
public sealed class MembershipFailureDetectorTests
{
    private static readonly PhiAccrualSettings Settings = new(Threshold: 8, WindowSize: 100, MinStdDevMs: 100, AcceptablePauseMs: 500, FirstIntervalEstimateMs: 400);

    private static (PhiFailureDetector Detector, ManualTimeProvider Time) Beating(int beats, TimeSpan interval)
    {
        var time = new ManualTimeProvider();
        var d = new PhiFailureDetector(Settings, time);
        for (int i = 0; i < beats; i++)
        {
            d.ReportHeartbeat("b");
            time.Advance(interval);
        }
        return (d, time);
    }

    [Fact]
    public void A_silo_never_heard_of_is_reachable()
    {
        var d = new PhiFailureDetector(Settings, new ManualTimeProvider());
        Assert.True(d.IsReachable("x"));
        Assert.Empty(d.Unreachable);
    }

    [Fact]
    public void Silence_past_the_threshold_makes_a_silo_unreachable_and_a_heartbeat_brings_it_back()
    {
        var (d, time) = Beating(30, TimeSpan.FromMilliseconds(200));
        Assert.True(d.IsReachable("b"));
        time.Advance(TimeSpan.FromMilliseconds(300));
        Assert.True(d.IsReachable("b"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(d.IsReachable("b"));
        Assert.Equal(["b"], d.Unreachable);
        d.ReportHeartbeat("b");
        Assert.True(d.IsReachable("b"));
    }

    [Fact]
    public void A_failed_call_suspects_at_once_until_the_next_sign_of_life()
    {
        var (d, _) = Beating(10, TimeSpan.FromMilliseconds(200));
        d.ReportFailure("b");
        Assert.False(d.IsReachable("b"));
        d.ReportSuccess("b");
        Assert.True(d.IsReachable("b"));
    }

    [Fact]
    public void Frequent_calls_do_not_teach_a_short_interval()
    {
        var (d, time) = Beating(30, TimeSpan.FromMilliseconds(200));
        for (int i = 0; i < 500; i++)
        {
            d.ReportSuccess("b");
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.True(d.IsReachable("b"), $"phi {d.Phi("b")}");
    }
}
