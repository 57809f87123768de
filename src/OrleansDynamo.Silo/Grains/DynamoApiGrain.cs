using Orleans.Concurrency;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// The client API as a grain, for an application's own Orleans client (the SDK addresses <see cref="DynamoApiService"/>
/// instead): a stateless worker, so a call that enters through a silo's gateway runs on that silo, which coordinates it.
/// Reentrant: requests interleave as they do on the gRPC service.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class DynamoApiGrain(DynamoApiCalls calls) : Grain, IDynamoApiGrain
{
    public Task<GetResponse> Get(GetRequest request, CancellationToken cancellationToken) => calls.Get(request, cancellationToken);

    public Task<PutResponse> Put(PutRequest request, CancellationToken cancellationToken) => calls.Put(request, cancellationToken);

    public Task<PutResponse> Delete(DeleteRequest request, CancellationToken cancellationToken) => calls.Delete(request, cancellationToken);

    public Task<RingInfo> GetRing(GetRingRequest request, CancellationToken cancellationToken) => calls.GetRing(request, cancellationToken);

    public Task<StatusResponse> GetStatus(StatusRequest request, CancellationToken cancellationToken) => calls.GetStatus(request, cancellationToken);

    public Task<BucketInfo> CreateBucket(CreateBucketRequest request, CancellationToken cancellationToken) => calls.CreateBucket(request, cancellationToken);

    public Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, CancellationToken cancellationToken) => calls.GetReplicas(request, cancellationToken);

    public Task<AdminResponse> Join(JoinRequest request, CancellationToken cancellationToken) => calls.Join(request, cancellationToken);

    public Task<AdminResponse> Leave(LeaveRequest request, CancellationToken cancellationToken) => calls.Leave(request, cancellationToken);

    public Task<AdminResponse> Repair(RepairRequest request, CancellationToken cancellationToken) => calls.Repair(request, cancellationToken);

    public Task<UpdateResponse> Update(UpdateRequest request, CancellationToken cancellationToken) => calls.Update(request, cancellationToken);

    public Task<FetchResponse> Fetch(FetchRequest request, CancellationToken cancellationToken) => calls.Fetch(request, cancellationToken);

    public Task<ReadReplicaResponse> ReadReplica(ReadReplicaRequest request, CancellationToken cancellationToken) => calls.ReadReplica(request, cancellationToken);
}
