using Orleans;
using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>A client's get, as the silo sees it after decoding. Zero R/PR means the bucket's.</summary>
[GenerateSerializer, Immutable]
public sealed record GetCommand([property: Id(0)] string Bucket, [property: Id(1)] string Key, [property: Id(2)] int R = 0, [property: Id(3)] int PR = 0, [property: Id(4)] int Hops = 0) : ISiloRequest<GetOutcome>;

/// <summary>
/// A client's put or delete. Zero W/PW means the bucket's. Context is the client's base64 token. ContentType is the
/// value's media type (<see cref="ContentTypes"/>), null for none (a delete never has one).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PutCommand([property: Id(0)] string Bucket, [property: Id(1)] string Key, [property: Id(2)] byte[] Value, [property: Id(3)] string? Context, [property: Id(4)] bool Delete = false, [property: Id(5)] int W = 0, [property: Id(6)] int PW = 0, [property: Id(7)] int Hops = 0,
    [property: Id(8)] string? ContentType = null)
    : ISiloRequest<PutOutcome>;

/// <summary><paramref name="FastestReplica"/>: the replica whose answer arrived first (a write may go there next, Dynamo §6).</summary>
[GenerateSerializer, Immutable]
public sealed record GetOutcome([property: Id(0)] bool Found, [property: Id(1)] ImmutableArray<Sibling> Siblings, [property: Id(2)] VectorClock Context, [property: Id(3)] int ReplicasAnswered, [property: Id(4)] string Coordinator, [property: Id(5)] string? FastestReplica = null);

/// <summary>The outcome of a put. <paramref name="NewDot"/> names the version it made (null when it came over the wire).</summary>
[GenerateSerializer, Immutable]
public sealed record PutOutcome([property: Id(0)] VectorClock Context, [property: Id(1)] int ReplicasAcked, [property: Id(2)] string Coordinator, [property: Id(3)] Dot? NewDot = null);

/// <summary>
/// A client's operation on a typed bucket's key: <paramref name="Operation"/> in <see cref="Core.DataTypes.DataTypeOperationCodec"/>'s
/// form, or null to delete what <paramref name="Context"/> (the client's base64 context, empty: none) saw. Zero W/PW means the bucket's.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UpdateCommand([property: Id(0)] string Bucket, [property: Id(1)] string Key, [property: Id(2)] byte[]? Operation, [property: Id(3)] string? Context,
    [property: Id(4)] int W = 0, [property: Id(5)] int PW = 0, [property: Id(6)] int Hops = 0) : ISiloRequest<UpdateOutcome>;

/// <summary>The outcome of an update: the coordinator's state after it (<see cref="Core.DataTypes.DataTypeCodec"/>), and who took it.</summary>
[GenerateSerializer, Immutable]
public sealed record UpdateOutcome([property: Id(0)] byte[] State, [property: Id(1)] int ReplicasAcked, [property: Id(2)] string Coordinator);

/// <summary>A client's read of a typed bucket's key. Zero R/PR means the bucket's.</summary>
[GenerateSerializer, Immutable]
public sealed record FetchCommand([property: Id(0)] string Bucket, [property: Id(1)] string Key, [property: Id(2)] int R = 0, [property: Id(3)] int PR = 0, [property: Id(4)] int Hops = 0)
    : ISiloRequest<FetchOutcome>;

/// <summary>The merged state of the replies (<see cref="Core.DataTypes.DataTypeCodec"/>); <paramref name="Found"/> false when no replica held the key.</summary>
[GenerateSerializer, Immutable]
public sealed record FetchOutcome([property: Id(0)] bool Found, [property: Id(1)] byte[] State, [property: Id(2)] int ReplicasAnswered, [property: Id(3)] string Coordinator);
