using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// The client API as this silo's system target (<see cref="IDynamoApiService"/>), the one the SDK calls: its single
/// Orleans client addresses the service by the silo's gateway, and Orleans sends such a call straight over the
/// connection to that gateway, so the client picks the coordinator. Each call leaves the system target's scheduler at
/// once (one queue per silo would run every request's turns one after another) and runs on the thread pool, as the
/// gRPC service's calls do.
/// </summary>
internal sealed class DynamoApiService(Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, DynamoApiCalls calls)
    : GrainService(SystemTargetGrainId.Create(IDynamoApiService.Type, SiloAddress.Zero).GrainId, silo, loggerFactory), IDynamoApiService
{
    public Task<GetResponse> Get(GetRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Get(request, cancellationToken));

    public Task<PutResponse> Put(PutRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Put(request, cancellationToken));

    public Task<PutResponse> Delete(DeleteRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Delete(request, cancellationToken));

    public Task<RingInfo> GetRing(GetRingRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.GetRing(request, cancellationToken));

    public Task<StatusResponse> GetStatus(StatusRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => calls.GetStatus(request, cancellationToken));

    public Task<BucketInfo> CreateBucket(CreateBucketRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => calls.CreateBucket(request, cancellationToken));

    public Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => calls.GetReplicas(request, cancellationToken));

    public Task<AdminResponse> Join(JoinRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Join(request, cancellationToken));

    public Task<AdminResponse> Leave(LeaveRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Leave(request, cancellationToken));

    public Task<AdminResponse> Repair(RepairRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Repair(request, cancellationToken));

    public Task<UpdateResponse> Update(UpdateRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Update(request, cancellationToken));

    public Task<FetchResponse> Fetch(FetchRequest request, CancellationToken cancellationToken) => Task.Run(() => calls.Fetch(request, cancellationToken));

    public Task<ReadReplicaResponse> ReadReplica(ReadReplicaRequest request, CancellationToken cancellationToken) =>
        Task.Run(() => calls.ReadReplica(request, cancellationToken));
}
