using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>A client's get, as the silo sees it after decoding. Zero R/PR means the bucket's.</summary>
public sealed record GetCommand(string Bucket, string Key, int R = 0, int PR = 0, int Hops = 0) : ISiloRequest<GetOutcome>;

/// <summary>A client's put or delete. Zero W/PW means the bucket's. Context is the client's base64 token.</summary>
public sealed record PutCommand(string Bucket, string Key, byte[] Value, string? Context, bool Delete = false, int W = 0, int PW = 0, int Hops = 0)
    : ISiloRequest<PutOutcome>;

/// <summary><paramref name="FastestReplica"/>: the replica whose answer arrived first (a write may go there next, Dynamo §6).</summary>
public sealed record GetOutcome(bool Found, ImmutableArray<Sibling> Siblings, VectorClock Context, int ReplicasAnswered, string Coordinator, string? FastestReplica = null);

/// <summary>The outcome of a put. <paramref name="NewDot"/> names the version it made (null when it came over the wire).</summary>
public sealed record PutOutcome(VectorClock Context, int ReplicasAcked, string Coordinator, Dot? NewDot = null);
