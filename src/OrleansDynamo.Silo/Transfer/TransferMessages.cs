using Orleans;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>One key of a partition on its way to a new owner: the sender's whole stored set.</summary>
[GenerateSerializer, Immutable]
public sealed record TransferItem([property: Id(0)] DynamoKey Key, [property: Id(1)] SiblingSet Siblings);

/// <summary>
/// One page of a partition streamed to a new owner, which merges every key into its replica. The
/// sender's membership digest travels along: a receiver whose membership differs refuses the page
/// (FailedPrecondition) until gossip has made their views equal, so no silo takes data on the word
/// of a ring it does not know. <paramref name="Last"/> marks the end of a complete pass: the receiver
/// then holds everything the sender held and its inbound transfer of the partition is complete.
/// <paramref name="Ring"/> (<see cref="RingTransition.Id"/>) names the ring the sender transfers under:
/// an empty last page carries no data and is accepted without equal memberships, counting for that
/// ring once the receiver has it (so a new cluster's empty partitions complete at once).
/// <paramref name="SenderBaselineP99Ms"/> is the sender's admission baseline (<see cref="Admission.IBackgroundAdmission.BaselineP99Ms"/>):
/// a receiver without one of its own paces against it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TransferBatch([property: Id(0)] int Partition, [property: Id(1)] string FromSilo, [property: Id(2)] IReadOnlyList<TransferItem> Items, [property: Id(3)] HistoryDigest Membership, [property: Id(4)] bool Last = false, [property: Id(5)] ulong Ring = 0,
    [property: Id(6)] double? SenderBaselineP99Ms = null)
    : ISiloRequest<TransferBatchResult>;

/// <summary>
/// <paramref name="Pace"/>: the receiver's admission pace (<see cref="Admission.IBackgroundAdmission.Pace"/>): the sender
/// rests as the slower of its own pace and its receivers' asks, so a transfer yields to the foreground at both ends.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TransferBatchResult([property: Id(0)] int Merged, [property: Id(1)] double Pace = 1);

/// <summary>
/// Partitions the sender holds nothing of, complete for the receiver under ring <paramref name="Ring"/>
/// (one message per new owner rather than an empty last page per partition).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TransferComplete([property: Id(0)] IReadOnlyList<int> Partitions, [property: Id(1)] string FromSilo, [property: Id(2)] ulong Ring) : ISiloRequest<TransferBatchResult>;

/// <summary>
/// Read-through: a new owner whose inbound transfer of <paramref name="Partition"/> is not complete
/// reads <paramref name="Key"/> from an old owner's store (never read through again there).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TransferRead([property: Id(0)] int Partition, [property: Id(1)] DynamoKey Key, [property: Id(2)] string FromSilo) : ISiloRequest<TransferReadResult>;

[GenerateSerializer, Immutable]
public sealed record TransferReadResult([property: Id(0)] SiblingSet? Siblings);

/// <summary>Asks a silo for its part in the ring change under way (<see cref="OwnershipTransferFeature.ReportAsync"/>).</summary>
[GenerateSerializer, Immutable]
public sealed record TransferReportRequest : ISiloRequest<Diagnostics.SiloTransfers>;
