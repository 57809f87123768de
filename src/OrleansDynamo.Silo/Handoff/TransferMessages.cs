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
/// of a ring it does not know.
/// </summary>
public sealed record TransferBatch(int Partition, string FromSilo, IReadOnlyList<TransferItem> Items, HistoryDigest Membership)
    : ISiloRequest<TransferBatchResult>;

public sealed record TransferBatchResult(int Merged);

/// <summary>The gRPC mapping of <see cref="TransferBatch"/> (handoff.proto).</summary>
public static class TransferWire
{
    public const string Method = "TransferBatch";

    public static ISiloWireMethod Create() =>
        new SiloWireMethod<TransferBatch, TransferBatchResult, TransferBatchRequest, TransferBatchResponse>(Method,
            b =>
            {
                var proto = new TransferBatchRequest
                {
                    Partition = (uint)b.Partition, FromSilo = b.FromSilo,
                    MembershipCount = (uint)b.Membership.Count, MembershipHash = b.Membership.Hash,
                };
                foreach (var item in b.Items)
                    proto.Entries.Add(new TransferEntry { Bucket = item.Key.Bucket, Key = item.Key.Key, SiblingSet = SiloWireMethods.Set(item.Siblings) });
                return proto;
            },
            p => new TransferBatch((int)p.Partition, p.FromSilo,
                p.Entries.Select(e => new TransferItem(new DynamoKey(e.Bucket, e.Key), SiloWireMethods.Set(e.SiblingSet))).ToList(),
                new HistoryDigest((int)p.MembershipCount, p.MembershipHash)),
            r => new TransferBatchResponse { Merged = (uint)r.Merged },
            p => new TransferBatchResult((int)p.Merged));
}
