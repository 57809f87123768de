using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>Read one key from a replica's store.</summary>
public sealed record ReplicaRead(int Partition, DynamoKey Key, string FromSilo) : ISiloRequest<ReplicaReadResult>;

public sealed record ReplicaReadResult(SiblingSet? Siblings);

/// <summary>
/// Merge a sibling set into a replica. <paramref name="HintFor"/> names the intended silo when the
/// receiver is a stand-in (sloppy quorum): it keeps the write and a hint to deliver later.
/// </summary>
public sealed record ReplicaWrite(int Partition, DynamoKey Key, SiblingSet Siblings, ConflictPolicy Policy, string? HintFor, string FromSilo)
    : ISiloRequest<ReplicaWriteResult>;

public sealed record ReplicaWriteResult(SiblingSet Stored);
