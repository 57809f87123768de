namespace OrleansDynamo.Simulation.World;

/// <summary>One silo's view of the simulated clock: wall time off by <see cref="Skew"/>; timers and timestamps shared.</summary>
public sealed class SkewedTime(SimulatedTime inner) : TimeProvider
{
    public TimeSpan Skew { get; set; }

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Skew;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
