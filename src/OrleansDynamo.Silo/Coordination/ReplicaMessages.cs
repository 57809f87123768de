using Orleans;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>Read one key from a replica's store.</summary>
[GenerateSerializer, Immutable]
public sealed record ReplicaRead([property: Id(0)] int Partition, [property: Id(1)] DynamoKey Key, [property: Id(2)] string FromSilo) : ISiloRequest<ReplicaReadResult>;

[GenerateSerializer, Immutable]
public sealed record ReplicaReadResult([property: Id(0)] SiblingSet? Siblings);

/// <summary>
/// Merge a sibling set into a replica. <paramref name="HintFor"/> names the intended silo when the
/// receiver is a stand-in (sloppy quorum): it keeps the write and a hint to deliver later.
/// <paramref name="AckOnly"/>: the sender needs only the acknowledgement, not the replica's merged set back (a
/// coordinated write or a read repair; a hint's delivery asks for the set). The default keeps the answer a silo
/// without the field gave, so silos of either version understand each other during a rolling upgrade.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ReplicaWrite([property: Id(0)] int Partition, [property: Id(1)] DynamoKey Key, [property: Id(2)] SiblingSet Siblings, [property: Id(3)] ConflictPolicy Policy, [property: Id(4)] string? HintFor, [property: Id(5)] string FromSilo,
    [property: Id(6)] bool AckOnly = false)
    : ISiloRequest<ReplicaWriteResult>;

/// <summary>A replica write's answer: the replica's set after the merge, or null when the write asked <see cref="ReplicaWrite.AckOnly"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record ReplicaWriteResult([property: Id(0)] SiblingSet? Stored);
