using System.Collections.Immutable;

namespace OrleansDynamo.Core.Membership;

/// <summary>Settings of the phi accrual failure detector (Hayashibara et al., 2004; Akka's variant).</summary>
/// <param name="Threshold">Phi at or above which a silo is judged unreachable (8: about one false suspicion in 10⁸ when the model holds).</param>
/// <param name="WindowSize">Heartbeat intervals remembered for the mean and standard deviation.</param>
/// <param name="MinStdDevMs">Floor of the standard deviation, so very regular heartbeats do not make a tiny delay look fatal.</param>
/// <param name="AcceptablePauseMs">Added to the mean interval: pauses this long (GC, a busy machine) raise phi only a little.</param>
/// <param name="FirstIntervalEstimateMs">The interval assumed before any was measured (mean; its standard deviation is a quarter of it).</param>
public sealed record PhiAccrualSettings(double Threshold, int WindowSize, double MinStdDevMs, double AcceptablePauseMs, double FirstIntervalEstimateMs)
{
    public string? Validate()
    {
        if (!(Threshold > 0)) return $"phi threshold must be positive, got {Threshold}";
        if (WindowSize < 2) return $"phi window size must be at least 2, got {WindowSize}";
        if (!(MinStdDevMs > 0)) return $"phi minimum standard deviation must be positive, got {MinStdDevMs}";
        if (!(AcceptablePauseMs >= 0)) return $"phi acceptable pause must not be negative, got {AcceptablePauseMs}";
        if (!(FirstIntervalEstimateMs > 0)) return $"phi first interval estimate must be positive, got {FirstIntervalEstimateMs}";
        return null;
    }
}

/// <summary>
/// The heartbeat history of one monitored silo and its suspicion level phi, as an immutable value:
/// <see cref="Heartbeat"/> returns the history after a heartbeat arrived at a time, <see cref="Phi"/>
/// tells how unlikely the silence since the last one is. Time is milliseconds on any monotonic
/// scale, passed in by the caller (no clock here). phi = −log10(P(a heartbeat arrives later than now)),
/// with arrivals modelled as a normal distribution of the remembered intervals (mean raised by the
/// acceptable pause, deviation floored), computed with the logistic approximation Akka uses.
/// </summary>
public sealed class PhiAccrualDetector
{
    private readonly ImmutableQueue<double> _intervals;
    private readonly int _count;
    private readonly double _sum;
    private readonly double _sumOfSquares;

    private PhiAccrualDetector(PhiAccrualSettings settings, long? lastMs, ImmutableQueue<double> intervals, int count, double sum, double sumOfSquares)
    {
        Settings = settings;
        LastHeartbeatMs = lastMs;
        _intervals = intervals;
        _count = count;
        _sum = sum;
        _sumOfSquares = sumOfSquares;
    }

    /// <summary>A detector that has heard nothing yet (phi is 0 until the first heartbeat).</summary>
    public static PhiAccrualDetector Empty(PhiAccrualSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Validate() is { } bad) throw new ArgumentException(bad, nameof(settings));
        // Seed with two intervals whose mean is the estimate and whose deviation is a quarter of it.
        double e = settings.FirstIntervalEstimateMs, d = e / 4;
        var seed = ImmutableQueue.Create(e - d, e + d);
        return new PhiAccrualDetector(settings, null, seed, 2, 2 * e, (e - d) * (e - d) + (e + d) * (e + d));
    }

    public PhiAccrualSettings Settings { get; }

    public long? LastHeartbeatMs { get; }

    /// <summary>Number of intervals remembered (the two seed intervals included).</summary>
    public int SampleCount => _count;

    public double MeanIntervalMs => _sum / _count;

    public double StdDevMs => Math.Sqrt(Math.Max(0, _sumOfSquares / _count - MeanIntervalMs * MeanIntervalMs));

    /// <summary>
    /// The history after a heartbeat at <paramref name="nowMs"/>. The interval since the previous one is
    /// remembered only when phi was below the threshold at arrival: the silence of an outage is not a
    /// heartbeat interval and would make the detector slow to notice the next one.
    /// </summary>
    public PhiAccrualDetector Heartbeat(long nowMs)
    {
        if (LastHeartbeatMs is not { } last) return new PhiAccrualDetector(Settings, nowMs, _intervals, _count, _sum, _sumOfSquares);
        if (nowMs <= last) return this;
        double interval = nowMs - last;
        if (Phi(nowMs) >= Settings.Threshold) return new PhiAccrualDetector(Settings, nowMs, _intervals, _count, _sum, _sumOfSquares);
        var intervals = _intervals.Enqueue(interval);
        int count = _count + 1;
        double sum = _sum + interval, squares = _sumOfSquares + interval * interval;
        while (count > Settings.WindowSize)
        {
            intervals = intervals.Dequeue(out double oldest);
            count--;
            sum -= oldest;
            squares -= oldest * oldest;
        }
        return new PhiAccrualDetector(Settings, nowMs, intervals, count, sum, squares);
    }

    /// <summary>The same history with the last heartbeat moved to <paramref name="nowMs"/> but no interval learned (a sign of life that is not a periodic heartbeat).</summary>
    public PhiAccrualDetector Touch(long nowMs) =>
        LastHeartbeatMs is { } last && nowMs <= last ? this : new PhiAccrualDetector(Settings, nowMs, _intervals, _count, _sum, _sumOfSquares);

    /// <summary>Suspicion level at <paramref name="nowMs"/>: 0 before the first heartbeat, growing with silence.</summary>
    public double Phi(long nowMs)
    {
        if (LastHeartbeatMs is not { } last) return 0;
        double elapsed = Math.Max(0, nowMs - last);
        double mean = MeanIntervalMs + Settings.AcceptablePauseMs;
        double sd = Math.Max(StdDevMs, Settings.MinStdDevMs);
        double y = (elapsed - mean) / sd;
        double e = Math.Exp(-y * (1.5976 + 0.070566 * y * y));
        double phi = elapsed > mean ? -Math.Log10(e / (1.0 + e)) : -Math.Log10(1.0 - 1.0 / (1.0 + e));
        return double.IsNaN(phi) ? 0 : Math.Max(0, phi);
    }

    /// <summary>True while phi at <paramref name="nowMs"/> is below the threshold.</summary>
    public bool IsAvailable(long nowMs) => Phi(nowMs) < Settings.Threshold;
}
