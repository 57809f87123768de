using System.Collections.Immutable;
using OrleansDynamo.Core.Ring;
using OrleansDynamo.Silo.Membership;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>One replica a request goes to; <see cref="HintFor"/> names the primary a stand-in replaces.</summary>
public readonly record struct ReplicaTarget(string Silo, string? HintFor)
{
    public bool IsStandIn => HintFor is not null;
}

/// <summary>
/// The silos one request goes to (Dynamo §4.6, sloppy quorum): the first N reachable silos of the
/// key's preference list. A primary judged unreachable is replaced by the next reachable fallback,
/// which keeps the write with a hint naming the primary.
/// </summary>
public sealed record ReplicaPlan(int Partition, ImmutableArray<ReplicaTarget> Targets, ImmutableHashSet<string> Primaries)
{
    public static ReplicaPlan Build(PreferenceList list, int n, IFailureDetector detector)
    {
        var targets = ImmutableArray.CreateBuilder<ReplicaTarget>(n);
        var down = new Queue<string>();
        foreach (var silo in list.Primaries)
        {
            if (detector.IsReachable(silo)) targets.Add(new ReplicaTarget(silo, null));
            else down.Enqueue(silo);
        }
        foreach (var fallback in list.Fallbacks)
        {
            if (down.Count == 0) break;
            if (detector.IsReachable(fallback)) targets.Add(new ReplicaTarget(fallback, down.Dequeue()));
        }
        // Nobody left to stand in: still try the unreachable primaries, the detector may be wrong.
        while (down.Count > 0) targets.Add(new ReplicaTarget(down.Dequeue(), null));
        return new ReplicaPlan(list.Partition, targets.ToImmutable(), list.Primaries.ToImmutableHashSet(StringComparer.Ordinal));
    }

    public int IndexOf(string silo)
    {
        for (int i = 0; i < Targets.Length; i++)
        {
            if (Targets[i].Silo == silo) return i;
        }
        return -1;
    }
}
