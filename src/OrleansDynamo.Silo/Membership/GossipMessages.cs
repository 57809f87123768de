using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Membership;

/// <summary>
/// One push-pull gossip exchange: the sender's identity, its history digest and (when it believes
/// the receiver may lack something) its whole history. Histories hold membership changes only, so
/// they stay small.
/// </summary>
public sealed record GossipRequest(string ClusterName, string SecretProof, string FromSilo, string FromAddress, HistoryDigest Digest, byte[]? History)
    : ISiloRequest<GossipResponse>;

/// <summary>The receiver's history when it differs from the sender's digest.</summary>
public sealed record GossipResponse(string Silo, HistoryDigest Digest, byte[]? History);
