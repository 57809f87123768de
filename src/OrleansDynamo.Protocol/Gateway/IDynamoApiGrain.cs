using Orleans.Runtime;
using Orleans.Services;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Gateway;

/// <summary>
/// The client API (<c>orleansdynamo.v1.Dynamo</c> of client.proto) as Orleans calls. Requests and answers are the
/// generated protobuf messages, carried by <see cref="ProtobufMessageCodec{T}"/>; failures are
/// <see cref="DynamoException"/>s. A silo serves it twice over, with one implementation: as
/// <see cref="IDynamoApiService"/>, one per silo, which the SDK addresses silo by silo, and as
/// <see cref="IDynamoApiGrain"/>, for an application's own Orleans client, which runs on whichever silo its gateway is.
/// </summary>
[Alias("orleansdynamo.v1.api-methods")]
public interface IDynamoApi : IAddressable
{
    [Alias("get")] Task<GetResponse> Get(GetRequest request, CancellationToken cancellationToken);

    [Alias("put")] Task<PutResponse> Put(PutRequest request, CancellationToken cancellationToken);

    [Alias("delete")] Task<PutResponse> Delete(DeleteRequest request, CancellationToken cancellationToken);

    [Alias("ring")] Task<RingInfo> GetRing(GetRingRequest request, CancellationToken cancellationToken);

    [Alias("status")] Task<StatusResponse> GetStatus(StatusRequest request, CancellationToken cancellationToken);

    [Alias("bucket")] Task<BucketInfo> CreateBucket(CreateBucketRequest request, CancellationToken cancellationToken);

    [Alias("replicas")] Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, CancellationToken cancellationToken);

    [Alias("join")] Task<AdminResponse> Join(JoinRequest request, CancellationToken cancellationToken);

    [Alias("leave")] Task<AdminResponse> Leave(LeaveRequest request, CancellationToken cancellationToken);

    [Alias("repair")] Task<AdminResponse> Repair(RepairRequest request, CancellationToken cancellationToken);

    [Alias("update")] Task<UpdateResponse> Update(UpdateRequest request, CancellationToken cancellationToken);

    [Alias("fetch")] Task<FetchResponse> Fetch(FetchRequest request, CancellationToken cancellationToken);

    [Alias("read-replica")] Task<ReadReplicaResponse> ReadReplica(ReadReplicaRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The client API as a grain, for an application's own Orleans client: a stateless worker, so a call runs on the silo
/// whose gateway it entered through, which coordinates it.
/// </summary>
[Alias("orleansdynamo.v1.api")]
public interface IDynamoApiGrain : IDynamoApi, IGrainWithIntegerKey
{
    /// <summary>The one grain key: a stateless worker has an activation on every silo that is called.</summary>
    public const long Key = 0;
}

/// <summary>
/// The client API as one system target on every silo, which the SDK's single Orleans client addresses by the silo's
/// gateway (<see cref="At"/>): Orleans sends a call to a system target straight over the connection to that gateway,
/// so the client picks the coordinator without a client per silo.
/// </summary>
[Alias("orleansdynamo.v1.api-service")]
public interface IDynamoApiService : IDynamoApi, IGrainService
{
    /// <summary>The system target's grain type, the same on every silo.</summary>
    public static readonly GrainType Type = SystemTargetGrainId.CreateGrainType("orleansdynamo.api");

    /// <summary>
    /// The grain id of the service on the silo whose gateway is <paramref name="gateway"/> (generation 0: the gateway
    /// puts its own silo's address in when the call arrives).
    /// </summary>
    public static GrainId At(System.Net.IPEndPoint gateway) => SystemTargetGrainId.Create(Type, SiloAddress.New(gateway, 0)).GrainId;
}

/// <summary>Orleans settings a silo and the client SDK must agree on.</summary>
public static class DynamoCluster
{
    /// <summary>Orleans' service id of every OrleansDynamo cluster (the cluster id is the cluster's name).</summary>
    public const string ServiceId = "orleansdynamo";
}
