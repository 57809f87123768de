using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Gateway;

/// <summary>
/// The client API (<c>orleansdynamo.v1.Dynamo</c> of client.proto) as an Orleans grain, for the .NET client SDK.
/// The silo implements it as a stateless worker: a call that enters through a silo's gateway runs on that silo, so
/// the client picks the coordinator by picking the gateway connection. Requests and answers are the generated
/// protobuf messages, carried by <see cref="ProtobufMessageCodec{T}"/>; failures are <see cref="DynamoException"/>s.
/// </summary>
[Alias("orleansdynamo.v1.api")]
public interface IDynamoApiGrain : IGrainWithIntegerKey
{
    /// <summary>The one grain key: a stateless worker has an activation on every silo that is called.</summary>
    public const long Key = 0;

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

/// <summary>Orleans settings a silo and the client SDK must agree on.</summary>
public static class DynamoCluster
{
    /// <summary>Orleans' service id of every OrleansDynamo cluster (the cluster id is the cluster's name).</summary>
    public const string ServiceId = "orleansdynamo";
}
