using System.Collections.Concurrent;
using OrleansDynamo.Core.Membership;

namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// Phi accrual failure detection on the silo's clock (<see cref="TimeProvider"/>): gossip exchanges are
/// the heartbeats that teach each peer's interval distribution (<see cref="PhiAccrualDetector"/>); any
/// other successful call is a sign of life that resets the silence; a failed call makes the peer
/// suspected at once, until its next sign of life. A silo is reachable when it is not suspected and
/// its phi is below the threshold. Silos never heard of are presumed reachable.
/// </summary>
public sealed class PhiFailureDetector(PhiAccrualSettings settings, TimeProvider time) : IFailureDetector
{
    private readonly ConcurrentDictionary<string, Monitor> _monitors = new(StringComparer.Ordinal);
    private readonly PhiAccrualDetector _empty = PhiAccrualDetector.Empty(settings);

    public PhiAccrualSettings Settings { get; } = settings;

    private long NowMs => time.GetTimestamp() * 1000 / time.TimestampFrequency;

    public bool IsReachable(string silo) =>
        !_monitors.TryGetValue(silo, out var m) || (!m.Suspected && m.History.IsAvailable(NowMs));

    /// <summary>The current suspicion level of a silo (0 when never heard of).</summary>
    public double Phi(string silo) => _monitors.TryGetValue(silo, out var m) ? m.History.Phi(NowMs) : 0;

    public void ReportSuccess(string silo)
    {
        long now = NowMs;
        _monitors.AddOrUpdate(silo, _ => new Monitor(_empty.Touch(now), false), (_, m) => new Monitor(m.History.Touch(now), false));
    }

    public void ReportHeartbeat(string silo)
    {
        long now = NowMs;
        _monitors.AddOrUpdate(silo, _ => new Monitor(_empty.Heartbeat(now), false), (_, m) => new Monitor(m.History.Heartbeat(now), false));
    }

    public void ReportFailure(string silo) =>
        _monitors.AddOrUpdate(silo, _ => new Monitor(_empty, true), (_, m) => m.Suspected ? m : m with { Suspected = true });

    public IReadOnlyCollection<string> Unreachable => _monitors.Keys.Where(s => !IsReachable(s)).Order(StringComparer.Ordinal).ToArray();

    private sealed record Monitor(PhiAccrualDetector History, bool Suspected);
}
