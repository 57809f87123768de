using System.Collections.Immutable;
using System.Runtime.InteropServices;
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
/// <remarks>
/// Immutable. The plan for "every primary reachable" depends only on the ring, so the coordinator keeps
/// one per partition (<see cref="ReplicaPlanCache"/>) and a request only checks that its primaries are
/// still reachable (<see cref="Build"/> makes a new plan otherwise).
/// </remarks>
public sealed class ReplicaPlan
{
    private ReplicaPlan(int partition, ReplicaTarget[] targets, ImmutableArray<string> primaries)
    {
        Partition = partition;
        Targets = ImmutableCollectionsMarshal.AsImmutableArray(targets);
        PrimaryList = primaries;
        Primaries = new HashSet<string>(primaries, StringComparer.Ordinal);
        var silos = new string[targets.Length];
        bool allPrimaries = targets.Length == primaries.Length;
        for (int i = 0; i < targets.Length; i++)
        {
            silos[i] = targets[i].Silo;
            allPrimaries &= targets[i].HintFor is null && targets[i].Silo == primaries[i];
        }
        // Boxed once: the quorum cores take the list without copying it (ToImmutableArray unwraps a boxed ImmutableArray).
        Silos = ImmutableCollectionsMarshal.AsImmutableArray(silos);
        IsAllPrimaries = allPrimaries;
    }

    public int Partition { get; }

    public ImmutableArray<ReplicaTarget> Targets { get; }

    /// <summary>The key's primaries (top N of the preference list, reachable or not).</summary>
    public IReadOnlySet<string> Primaries { get; }

    /// <summary>The target silos in order, as the quorum cores take them.</summary>
    public IReadOnlyList<string> Silos { get; }

    /// <summary>True when the targets are exactly the primaries, in order (every primary was reachable).</summary>
    public bool IsAllPrimaries { get; }

    private ImmutableArray<string> PrimaryList { get; }

    public static ReplicaPlan Build(PreferenceList list, int n, IFailureDetector detector)
    {
        var targets = new List<ReplicaTarget>(Math.Max(n, list.Primaries.Length));
        Queue<string>? down = null;
        foreach (var silo in list.Primaries)
        {
            if (detector.IsReachable(silo)) targets.Add(new ReplicaTarget(silo, null));
            else (down ??= new Queue<string>()).Enqueue(silo);
        }
        if (down is not null)
        {
            foreach (var fallback in list.Fallbacks)
            {
                if (down.Count == 0) break;
                if (detector.IsReachable(fallback)) targets.Add(new ReplicaTarget(fallback, down.Dequeue()));
            }
            // Nobody left to stand in: still try the unreachable primaries, the detector may be wrong.
            while (down.Count > 0) targets.Add(new ReplicaTarget(down.Dequeue(), null));
        }
        return new ReplicaPlan(list.Partition, targets.ToArray(), list.Primaries);
    }

    /// <summary>The plan when every primary is reachable: the primaries themselves, in order.</summary>
    public static ReplicaPlan ForPrimaries(PreferenceList list)
    {
        var targets = new ReplicaTarget[list.Primaries.Length];
        for (int i = 0; i < targets.Length; i++) targets[i] = new ReplicaTarget(list.Primaries[i], null);
        return new ReplicaPlan(list.Partition, targets, list.Primaries);
    }

    /// <summary>True when every primary is reachable, i.e. <see cref="Build"/> would return the same targets as <see cref="ForPrimaries"/>.</summary>
    public bool PrimariesReachable(IFailureDetector detector)
    {
        foreach (var silo in PrimaryList)
        {
            if (!detector.IsReachable(silo)) return false;
        }
        return true;
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
