using Orleans;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// One push-pull gossip exchange: the sender's identity, its history digest and (when it believes
/// the receiver may lack something) its whole history. Histories hold membership changes only, so
/// they stay small.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record GossipRequest([property: Id(0)] string ClusterName, [property: Id(1)] string SecretProof, [property: Id(2)] string FromSilo, [property: Id(3)] string FromAddress, [property: Id(4)] HistoryDigest Digest, [property: Id(5)] byte[]? History)
    : ISiloRequest<GossipResponse>;

/// <summary>
/// A question before a silo acts on its ring (an ownership hand-off): the asker's digest only, no history, so the
/// exchange is a few bytes when both agree. The answer carries the receiver's history when it differs; the receiver
/// merges nothing (it learns from gossip as before).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MembershipCheck([property: Id(0)] string ClusterName, [property: Id(1)] string SecretProof, [property: Id(2)] string FromSilo, [property: Id(3)] HistoryDigest Digest)
    : ISiloRequest<GossipResponse>;

/// <summary>The receiver's history when it differs from the sender's digest.</summary>
[GenerateSerializer, Immutable]
public sealed record GossipResponse([property: Id(0)] string Silo, [property: Id(1)] HistoryDigest Digest, [property: Id(2)] byte[]? History);
