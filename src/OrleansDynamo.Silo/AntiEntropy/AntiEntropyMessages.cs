using Orleans;
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
[GenerateSerializer, Immutable]
public readonly record struct TreeId([property: Id(0)] int Partition, [property: Id(1)] int N) : IComparable<TreeId>
{
    public int CompareTo(TreeId other) => Partition != other.Partition ? Partition.CompareTo(other.Partition) : N.CompareTo(other.N);

    public override string ToString() => N == 3 ? $"p{Partition}" : $"p{Partition}/n{N}";
}

/// <summary>
/// A tree as named on the wire: its id, the shape the asker uses and the <see cref="VersionDigest.Scheme"/> its keys'
/// digests are computed by (both sides must match). A build from before the scheme was sent leaves
/// <paramref name="DigestScheme"/> 0, which means scheme 1.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct TreeRef([property: Id(0)] TreeId Id, [property: Id(1)] int FanOut, [property: Id(2)] int Depth, [property: Id(3)] int DigestScheme = VersionDigest.Scheme)
{
    public static TreeRef Of(TreeId id, MerkleShape shape) => new(id, shape.FanOut, shape.Depth, VersionDigest.Scheme);

    public bool Matches(MerkleShape shape) => FanOut == shape.FanOut && Depth == shape.Depth;

    /// <summary>The scheme a peer's digests are computed by, from what it sent (0, from a build that sent none, is 1).</summary>
    public static int SchemeOf(int sent) => sent == 0 ? 1 : sent;
}

/// <summary>A key with its sibling set, as repairs carry it.</summary>
[GenerateSerializer, Immutable]
public sealed record KeySet([property: Id(0)] DynamoKey Key, [property: Id(1)] SiblingSet Siblings);

/// <summary>Hashes of the peer's tree: the root at level 0, else every child of <paramref name="Parents"/> (nodes at Level−1).</summary>
[GenerateSerializer, Immutable]
public sealed record MerkleHashesQuery([property: Id(0)] TreeRef Tree, [property: Id(1)] int Level, [property: Id(2)] ImmutableArray<int> Parents, [property: Id(3)] string FromSilo) : ISiloRequest<MerkleHashesAnswer>;

/// <summary>
/// <paramref name="Ready"/> false: the peer's tree is still being built. <paramref name="Busy"/>: the peer's tree is
/// in an exchange with another silo (one exchange per tree at a time, like riak's tree locks).
/// <paramref name="DigestScheme"/> is the <see cref="VersionDigest.Scheme"/> of the peer's tree (0 from a build that
/// sent none: scheme 1).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MerkleHashesAnswer([property: Id(0)] bool Ready, [property: Id(1)] ulong[] Hashes, [property: Id(2)] bool Busy = false,
    [property: Id(3)] int DigestScheme = VersionDigest.Scheme);

/// <summary>The peer's keys and digests in the given leaf segments.</summary>
[GenerateSerializer, Immutable]
public sealed record SegmentKeysQuery([property: Id(0)] TreeRef Tree, [property: Id(1)] ImmutableArray<int> Segments, [property: Id(2)] string FromSilo) : ISiloRequest<SegmentKeysAnswer>;

/// <summary>The peer's keys and digests, computed by <paramref name="DigestScheme"/> (as in <see cref="MerkleHashesAnswer"/>).</summary>
[GenerateSerializer, Immutable]
public sealed record SegmentKeysAnswer([property: Id(0)] bool Ready, [property: Id(1)] IReadOnlyList<(KeyHash Key, ulong Digest)> Keys,
    [property: Id(2)] int DigestScheme = VersionDigest.Scheme);

/// <summary>The asker's sets of keys it holds (the peer merges them) and the hashes of keys it lacks (the peer sends them).</summary>
[GenerateSerializer, Immutable]
public sealed record RepairKeys([property: Id(0)] TreeRef Tree, [property: Id(1)] IReadOnlyList<KeySet> Push, [property: Id(2)] IReadOnlyList<KeyHash> Fetch, [property: Id(3)] string FromSilo) : ISiloRequest<RepairKeysResult>;

/// <summary>The peer's merged sets that differ from what was pushed, and the fetched keys.</summary>
[GenerateSerializer, Immutable]
public sealed record RepairKeysResult([property: Id(0)] IReadOnlyList<KeySet> Entries, [property: Id(1)] int Merged);

/// <summary>
/// Tombstone GC between the replicas of a tree: with <paramref name="Remove"/> false, which of these keys
/// the peer holds with exactly this digest; with true, remove those still matching. <paramref name="Primaries"/>
/// is the preference list the asker saw: a peer that sees another one matches nothing.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TombstoneGc([property: Id(0)] TreeRef Tree, [property: Id(1)] IReadOnlyList<(KeyHash Key, ulong Digest)> Keys, [property: Id(2)] bool Remove, [property: Id(3)] ImmutableArray<string> Primaries, [property: Id(4)] string FromSilo)
    : ISiloRequest<TombstoneGcResult>;

/// <summary>Indexes into the request's keys that matched (check) or were removed (remove).</summary>
[GenerateSerializer, Immutable]
public sealed record TombstoneGcResult([property: Id(0)] ImmutableArray<int> Matched);
