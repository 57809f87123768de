using System.Collections.Immutable;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>
/// One Merkle tree of a silo: the keys of <paramref name="Partition"/> whose bucket has replication
/// factor <paramref name="N"/> (riak's "index_n"), so buckets with different N compare with their own peers.
/// </summary>
public readonly record struct TreeId(int Partition, int N) : IComparable<TreeId>
{
    public int CompareTo(TreeId other) => Partition != other.Partition ? Partition.CompareTo(other.Partition) : N.CompareTo(other.N);

    public override string ToString() => N == 3 ? $"p{Partition}" : $"p{Partition}/n{N}";
}

/// <summary>A tree as named on the wire: its id and the shape the asker uses (both sides must match).</summary>
public readonly record struct TreeRef(TreeId Id, int FanOut, int Depth)
{
    public static TreeRef Of(TreeId id, MerkleShape shape) => new(id, shape.FanOut, shape.Depth);

    public bool Matches(MerkleShape shape) => FanOut == shape.FanOut && Depth == shape.Depth;
}

/// <summary>A key with its sibling set, as repairs carry it.</summary>
public sealed record KeySet(DynamoKey Key, SiblingSet Siblings);

/// <summary>Hashes of the peer's tree: the root at level 0, else every child of <paramref name="Parents"/> (nodes at Level−1).</summary>
public sealed record MerkleHashesQuery(TreeRef Tree, int Level, ImmutableArray<int> Parents, string FromSilo) : ISiloRequest<MerkleHashesAnswer>;

/// <summary>
/// <paramref name="Ready"/> false: the peer's tree is still being built. <paramref name="Busy"/>: the peer's tree is
/// in an exchange with another silo (one exchange per tree at a time, like riak's tree locks).
/// </summary>
public sealed record MerkleHashesAnswer(bool Ready, ulong[] Hashes, bool Busy = false);

/// <summary>The peer's keys and digests in the given leaf segments.</summary>
public sealed record SegmentKeysQuery(TreeRef Tree, ImmutableArray<int> Segments, string FromSilo) : ISiloRequest<SegmentKeysAnswer>;

public sealed record SegmentKeysAnswer(bool Ready, IReadOnlyList<(KeyHash Key, ulong Digest)> Keys);

/// <summary>The asker's sets of keys it holds (the peer merges them) and the hashes of keys it lacks (the peer sends them).</summary>
public sealed record RepairKeys(TreeRef Tree, IReadOnlyList<KeySet> Push, IReadOnlyList<KeyHash> Fetch, string FromSilo) : ISiloRequest<RepairKeysResult>;

/// <summary>The peer's merged sets that differ from what was pushed, and the fetched keys.</summary>
public sealed record RepairKeysResult(IReadOnlyList<KeySet> Entries, int Merged);

/// <summary>
/// Tombstone GC between the replicas of a tree: with <paramref name="Remove"/> false, which of these keys
/// the peer holds with exactly this digest; with true, remove those still matching. <paramref name="Primaries"/>
/// is the preference list the asker saw: a peer that sees another one matches nothing.
/// </summary>
public sealed record TombstoneGc(TreeRef Tree, IReadOnlyList<(KeyHash Key, ulong Digest)> Keys, bool Remove, ImmutableArray<string> Primaries, string FromSilo)
    : ISiloRequest<TombstoneGcResult>;

/// <summary>Indexes into the request's keys that matched (check) or were removed (remove).</summary>
public sealed record TombstoneGcResult(ImmutableArray<int> Matched);
