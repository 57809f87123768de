using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Silo.Transport.Grpc;

namespace OrleansDynamo.Silo.Handoff;

/// <summary>One key of a partition on its way to a new owner: the sender's whole stored set.</summary>
public sealed record TransferItem(DynamoKey Key, SiblingSet Siblings);

/// <summary>
/// One page of a partition streamed to a new owner, which merges every key into its replica. The
/// sender's membership digest travels along: a receiver whose membership differs refuses the page
/// (FailedPrecondition) until gossip has made their views equal, so no silo takes data on the word
/// of a ring it does not know. <paramref name="Last"/> marks the end of a complete pass: the receiver
/// then holds everything the sender held and its inbound transfer of the partition is complete.
/// <paramref name="Ring"/> (<see cref="RingTransition.Id"/>) names the ring the sender transfers under:
/// an empty last page carries no data and is accepted without equal memberships, counting for that
/// ring once the receiver has it (so a new cluster's empty partitions complete at once).
/// </summary>
public sealed record TransferBatch(int Partition, string FromSilo, IReadOnlyList<TransferItem> Items, HistoryDigest Membership, bool Last = false, ulong Ring = 0)
    : ISiloRequest<TransferBatchResult>;

public sealed record TransferBatchResult(int Merged);

/// <summary>
/// Partitions the sender holds nothing of, complete for the receiver under ring <paramref name="Ring"/>
/// (one message per new owner rather than an empty last page per partition).
/// </summary>
public sealed record TransferComplete(IReadOnlyList<int> Partitions, string FromSilo, ulong Ring) : ISiloRequest<TransferBatchResult>;

/// <summary>
/// Read-through: a new owner whose inbound transfer of <paramref name="Partition"/> is not complete
/// reads <paramref name="Key"/> from an old owner's store (never read through again there).
/// </summary>
public sealed record TransferRead(int Partition, DynamoKey Key, string FromSilo) : ISiloRequest<TransferReadResult>;

public sealed record TransferReadResult(SiblingSet? Siblings);

/// <summary>The gRPC mappings of <see cref="TransferBatch"/> and <see cref="TransferRead"/> (handoff.proto).</summary>
public static class TransferWire
{
    public const string Method = "TransferBatch";

    public const string ReadMethod = "TransferRead";

    public const string CompleteMethod = "TransferComplete";

    public static ISiloWireMethod Create() =>
        new SiloWireMethod<TransferBatch, TransferBatchResult, TransferBatchRequest, TransferBatchResponse>(Method,
            b =>
            {
                var proto = new TransferBatchRequest
                {
                    Partition = (uint)b.Partition, FromSilo = b.FromSilo,
                    MembershipCount = (uint)b.Membership.Count, MembershipHash = b.Membership.Hash, Last = b.Last, RingId = b.Ring,
                };
                foreach (var item in b.Items)
                    proto.Entries.Add(new TransferEntry { Bucket = item.Key.Bucket, Key = item.Key.Key, SiblingSet = SiloWireMethods.Set(item.Siblings) });
                return proto;
            },
            p => new TransferBatch((int)p.Partition, p.FromSilo,
                p.Entries.Select(e => new TransferItem(new DynamoKey(e.Bucket, e.Key), SiloWireMethods.Set(e.SiblingSet))).ToList(),
                new HistoryDigest((int)p.MembershipCount, p.MembershipHash), p.Last, p.RingId),
            r => new TransferBatchResponse { Merged = (uint)r.Merged },
            p => new TransferBatchResult((int)p.Merged));

    public static ISiloWireMethod CreateComplete() =>
        new SiloWireMethod<TransferComplete, TransferBatchResult, TransferCompleteRequest, TransferBatchResponse>(CompleteMethod,
            c =>
            {
                var proto = new TransferCompleteRequest { FromSilo = c.FromSilo, RingId = c.Ring };
                proto.Partitions.AddRange(c.Partitions.Select(p => (uint)p));
                return proto;
            },
            p => new TransferComplete(p.Partitions.Select(x => (int)x).ToList(), p.FromSilo, p.RingId),
            r => new TransferBatchResponse { Merged = (uint)r.Merged },
            p => new TransferBatchResult((int)p.Merged));

    public static ISiloWireMethod CreateRead() =>
        new SiloWireMethod<TransferRead, TransferReadResult, TransferReadRequest, TransferReadResponse>(ReadMethod,
            r => new TransferReadRequest { Partition = (uint)r.Partition, Bucket = r.Key.Bucket, Key = r.Key.Key, FromSilo = r.FromSilo },
            p => new TransferRead((int)p.Partition, new DynamoKey(p.Bucket, p.Key), p.FromSilo),
            r => r.Siblings is null ? new TransferReadResponse() : new TransferReadResponse { Found = true, SiblingSet = SiloWireMethods.Set(r.Siblings) },
            p => new TransferReadResult(p.Found ? SiloWireMethods.Set(p.SiblingSet) : null));
}
