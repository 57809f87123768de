using System.Collections.Immutable;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Ring;

namespace OrleansDynamo.Core.Membership;

/// <summary>
/// What a membership history means: the members and their status, the ring, and the buckets.
/// An immutable snapshot; a silo swaps in a new one whenever its history grows.
/// </summary>
public sealed class ClusterState
{
    public required string ClusterName { get; init; }

    public required int PartitionCount { get; init; }

    /// <summary>Members by name, including those that left.</summary>
    public required ImmutableSortedDictionary<string, MemberState> Members { get; init; }

    /// <summary>The ring, or null while no silo is up.</summary>
    public required RingSnapshot? Ring { get; init; }

    /// <summary>
    /// The ring before the last ring change (the one ownership transfer moves partitions from), or null when the history
    /// holds one ring or none.
    /// </summary>
    public RingSnapshot? PreviousRing { get; init; }

    public required ImmutableSortedDictionary<string, BucketSettings> Buckets { get; init; }

    /// <summary>
    /// Grows with every change and is equal on silos that hold the same history: each join, leave or departure counts
    /// one, each bucket's definition its Lamport time (a redefinition replaces the bucket's old event by a later one,
    /// so the count of events alone would not grow).
    /// </summary>
    public required long Version { get; init; }

    public MemberState? Member(string name) => Members.GetValueOrDefault(name);

    public IEnumerable<MemberState> Active => Members.Values.Where(m => m.Status != MemberStatus.Left);
}
