using System.Collections.Concurrent;

namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// Judges a silo unreachable after <see cref="FailuresToSuspect"/> consecutive failed calls and
/// reachable again at the first success (gossip and the prober keep calling unreachable silos).
/// </summary>
public sealed class CallFailureDetector(int failuresToSuspect = 1) : IFailureDetector
{
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _down = new(StringComparer.Ordinal);

    public int FailuresToSuspect { get; } = failuresToSuspect;

    public bool IsReachable(string silo) => !_down.ContainsKey(silo);

    public void ReportSuccess(string silo)
    {
        if (_failures.ContainsKey(silo)) _failures.TryRemove(silo, out _);
        if (_down.ContainsKey(silo)) _down.TryRemove(silo, out _);
    }

    public void ReportFailure(string silo)
    {
        int n = _failures.AddOrUpdate(silo, 1, (_, v) => v + 1);
        if (n >= FailuresToSuspect) _down[silo] = true;
    }

    public IReadOnlyCollection<string> Unreachable => _down.Keys.ToArray();
}
