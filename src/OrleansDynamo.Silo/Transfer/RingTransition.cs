using System.Collections.Immutable;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Ring;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// The last ring change as ownership transfer sees it: the ring before it (<see cref="Previous"/>,
/// <see cref="ClusterState.PreviousRing"/>) and the ring now (<see cref="Current"/>). A silo that is among
/// a partition's first N now but was not before is a new owner of it and receives the partition from
/// one old replica. Every silo holding the same history computes the same transition.
/// </summary>
public sealed class RingTransition
{
    private RingTransition(RingSnapshot? previous, RingSnapshot current, int n)
    {
        Previous = previous;
        Current = current;
        N = n;
        Id = IdOf(current);
    }

    /// <summary>The ring before the last ring change, or null when the history holds only one ring.</summary>
    public RingSnapshot? Previous { get; }

    public RingSnapshot Current { get; }

    /// <summary>Replicas per partition the transition is computed for (the largest N over buckets).</summary>
    public int N { get; }

    /// <summary>Identifies <see cref="Current"/> (version, members, owners): equal on silos with the same ring.</summary>
    public ulong Id { get; }

    /// <summary>The transition of <paramref name="history"/>'s last ring change, or null while it has no ring.</summary>
    public static RingTransition? Of(MembershipHistory history, int n)
    {
        var state = history.State;
        return state.Ring is { } current ? new RingTransition(state.PreviousRing, current, n) : null;
    }

    public ImmutableArray<string> Owners(int partition) => Current.PreferenceListFor(partition, N).Primaries;

    /// <summary>The partition's first N before the change (empty when there was no ring before).</summary>
    public ImmutableArray<string> OldReplicas(int partition) => Previous?.PreferenceListFor(partition, N).Primaries ?? [];

    /// <summary>True when <paramref name="silo"/> is a member now but was none of the previous ring (it joined).</summary>
    public bool IsNewMember(string silo) => Previous is not null && Previous.FindMember(silo) is null && Current.FindMember(silo) is not null;

    private static ulong IdOf(RingSnapshot ring)
    {
        ulong h = 14695981039346656037UL;
        h = Mix(h, (ulong)ring.Version);
        foreach (var m in ring.Members) h = MixString(h, m.Name);
        foreach (var owner in ring.Owners) h = MixString(h, owner);
        return h;
    }

    private static ulong MixString(ulong h, string s)
    {
        foreach (char c in s) h = Mix(h, c);
        return Mix(h, 0xFFFF);
    }

    private static ulong Mix(ulong h, ulong v) => (h ^ v) * 1099511628211UL;
}
