using System.Collections.Concurrent;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// Liveness from Orleans cluster membership, judged locally as Dynamo asks (§4.8.3): a silo is reachable
/// when membership holds an active incarnation of it and no call to that incarnation has failed since its
/// last sign of life. A failed call suspects the silo at once; a success, or a newer incarnation becoming
/// active (a restart), clears the suspicion.
/// </summary>
public sealed class ClusterMembershipDetector(IClusterMembershipService membership) : IFailureDetector
{
    private readonly ConcurrentDictionary<string, int> _suspected = new(StringComparer.Ordinal);

    public bool IsReachable(string silo)
    {
        int generation = ActiveGeneration(silo);
        if (generation == 0) return false;
        if (!_suspected.TryGetValue(silo, out int suspectedGeneration)) return true;
        if (generation <= suspectedGeneration) return false;
        _suspected.TryRemove(new KeyValuePair<string, int>(silo, suspectedGeneration));
        return true;
    }

    public void ReportSuccess(string silo) => _suspected.TryRemove(silo, out _);

    public void ReportFailure(string silo) => _suspected[silo] = Math.Max(ActiveGeneration(silo), 1);

    public IReadOnlyCollection<string> Unreachable =>
        membership.CurrentSnapshot.Members.Values.Select(m => m.Name).Concat(_suspected.Keys)
            .Distinct(StringComparer.Ordinal).Where(s => !IsReachable(s)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The generation of the newest active incarnation of <paramref name="silo"/>, or 0.</summary>
    private int ActiveGeneration(string silo) => ActiveMembers.Newest(membership.CurrentSnapshot, silo)?.Generation ?? 0;
}
