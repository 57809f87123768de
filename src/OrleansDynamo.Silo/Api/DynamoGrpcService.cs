using Grpc.Core;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// The client API as a Grpc.AspNetCore service (<c>orleansdynamo.v1.Dynamo</c>, generated from client.proto), for
/// clients in any language: each call goes to <see cref="WireApi"/>. Failures become gRPC statuses in
/// <see cref="ClientApiErrorInterceptor"/>. The API key comes from the <c>authorization: Bearer KEY</c> metadata.
/// </summary>
public sealed class DynamoGrpcService(WireApi api) : Dynamo.DynamoBase
{
    public override Task<GetResponse> Get(GetRequest request, ServerCallContext context) => api.Get(request, Key(context), context.CancellationToken);

    public override Task<PutResponse> Put(PutRequest request, ServerCallContext context) => api.Put(request, Key(context), context.CancellationToken);

    public override Task<PutResponse> Delete(DeleteRequest request, ServerCallContext context) => api.Delete(request, Key(context), context.CancellationToken);

    public override Task<RingInfo> GetRing(GetRingRequest request, ServerCallContext context) => api.GetRing(request, Key(context), context.CancellationToken);

    public override Task<StatusResponse> GetStatus(StatusRequest request, ServerCallContext context) => api.GetStatus(request, Key(context), context.CancellationToken);

    public override Task<BucketInfo> CreateBucket(CreateBucketRequest request, ServerCallContext context) => api.CreateBucket(request, Key(context), context.CancellationToken);

    public override Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, ServerCallContext context) => api.GetReplicas(request, Key(context), context.CancellationToken);

    public override Task<AdminResponse> Join(JoinRequest request, ServerCallContext context) => api.Join(request, Key(context), context.CancellationToken);

    public override Task<AdminResponse> Leave(LeaveRequest request, ServerCallContext context) => api.Leave(request, Key(context), context.CancellationToken);

    public override Task<AdminResponse> Repair(RepairRequest request, ServerCallContext context) => api.Repair(request, Key(context), context.CancellationToken);

    public override Task<UpdateResponse> Update(UpdateRequest request, ServerCallContext context) => api.Update(request, Key(context), context.CancellationToken);

    public override Task<FetchResponse> Fetch(FetchRequest request, ServerCallContext context) => api.Fetch(request, Key(context), context.CancellationToken);

    public override Task<ReadReplicaResponse> ReadReplica(ReadReplicaRequest request, ServerCallContext context) =>
        api.ReadReplica(request, Key(context), context.CancellationToken);

    private static string? Key(ServerCallContext context) => ApiKeys.FromBearer(context.RequestHeaders.GetValue(ApiKeys.Header));
}
