using OrleansDynamo.Core.Membership;

namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// Settings of the phi accrual failure detector, bound from the "Silo:FailureDetection" section.
/// Gossip exchanges are the heartbeats; a failed call suspects a silo at once regardless of phi.
/// </summary>
public sealed class FailureDetectionOptions
{
    public const string Section = "Silo:FailureDetection";

    /// <summary>Phi at or above which a silo is judged unreachable. Default 8.</summary>
    public double PhiThreshold { get; set; } = 8;

    /// <summary>Heartbeat intervals remembered per silo. Default 100.</summary>
    public int WindowSize { get; set; } = 100;

    /// <summary>Floor of the interval standard deviation. Default 500 ms.</summary>
    public int MinStdDevMs { get; set; } = 500;

    /// <summary>A silence this much longer than the mean interval raises phi only a little. Default 2000 ms.</summary>
    public int AcceptablePauseMs { get; set; } = 2000;

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!(PhiThreshold > 0 && PhiThreshold <= 100)) errors.Add($"{Section}:PhiThreshold must be in (0, 100], got {PhiThreshold}");
        if (WindowSize < 2 || WindowSize > 10_000) errors.Add($"{Section}:WindowSize must be between 2 and 10000, got {WindowSize}");
        if (MinStdDevMs < 1) errors.Add($"{Section}:MinStdDevMs must be positive, got {MinStdDevMs}");
        if (AcceptablePauseMs < 0) errors.Add($"{Section}:AcceptablePauseMs must not be negative, got {AcceptablePauseMs}");
        return errors;
    }

    /// <summary>The core settings; the first interval is estimated as two gossip intervals (a peer is met about every other round).</summary>
    public PhiAccrualSettings ToSettings(int gossipIntervalMs) =>
        new(PhiThreshold, WindowSize, MinStdDevMs, AcceptablePauseMs, 2.0 * gossipIntervalMs);
}
