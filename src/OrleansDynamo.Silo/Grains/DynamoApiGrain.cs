using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Concurrency;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// The client API for the .NET client SDK: a stateless worker, so a call that enters through a silo's gateway runs
/// on that silo, which coordinates it (the SDK picks the coordinator by picking the gateway). Reentrant: requests
/// interleave as they do on the gRPC service. Each call goes to <see cref="WireApi"/>; what fails reaches the client
/// as a <see cref="DynamoException"/> of the kind the gRPC service answers with a status. The API key comes from the
/// call's Orleans request context (<see cref="ApiKeys.RequestContextKey"/>, set by the SDK), and is taken out of it so
/// that it does not travel on with the calls this one makes to other silos.
/// </summary>
[StatelessWorker]
[Reentrant]
internal sealed class DynamoApiGrain(WireApi api, ILogger<DynamoApiGrain> log) : Grain, IDynamoApiGrain
{
    public Task<GetResponse> Get(GetRequest request, CancellationToken cancellationToken) => Run(api.Get(request, TakeKey(), cancellationToken), "get");

    public Task<PutResponse> Put(PutRequest request, CancellationToken cancellationToken) => Run(api.Put(request, TakeKey(), cancellationToken), "put");

    public Task<PutResponse> Delete(DeleteRequest request, CancellationToken cancellationToken) => Run(api.Delete(request, TakeKey(), cancellationToken), "delete");

    public Task<RingInfo> GetRing(GetRingRequest request, CancellationToken cancellationToken) => Run(api.GetRing(request, TakeKey(), cancellationToken), "ring");

    public Task<StatusResponse> GetStatus(StatusRequest request, CancellationToken cancellationToken) => Run(api.GetStatus(request, TakeKey(), cancellationToken), "status");

    public Task<BucketInfo> CreateBucket(CreateBucketRequest request, CancellationToken cancellationToken) =>
        Run(api.CreateBucket(request, TakeKey(), cancellationToken), "bucket");

    public Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, CancellationToken cancellationToken) =>
        Run(api.GetReplicas(request, TakeKey(), cancellationToken), "replicas");

    public Task<AdminResponse> Join(JoinRequest request, CancellationToken cancellationToken) => Run(api.Join(request, TakeKey(), cancellationToken), "join");

    public Task<AdminResponse> Leave(LeaveRequest request, CancellationToken cancellationToken) => Run(api.Leave(request, TakeKey(), cancellationToken), "leave");

    public Task<AdminResponse> Repair(RepairRequest request, CancellationToken cancellationToken) => Run(api.Repair(request, TakeKey(), cancellationToken), "repair");

    private static string? TakeKey()
    {
        var key = RequestContext.Get(ApiKeys.RequestContextKey) as string;
        if (key is not null) RequestContext.Remove(ApiKeys.RequestContextKey);
        return key;
    }

    /// <summary>Awaits the call; a failure that is not a <see cref="DynamoException"/> becomes one.</summary>
    private async Task<T> Run<T>(Task<T> call, string method)
    {
        try
        {
            return await call;
        }
        catch (Exception e) when (e is not DynamoException)
        {
            throw e switch
            {
                StorageLimitException l => DynamoException.Invalid(l.Message),
                OperationCanceledException => new DynamoException(DynamoErrorKind.Timeout, "the request's deadline passed"),
                _ => Internal(e, method),
            };
        }
    }

    private DynamoException Internal(Exception e, string method)
    {
        log.LogError(e, "Client API call {Method} failed", method);
        return new DynamoException(DynamoErrorKind.Internal, e.GetType().Name + ": " + e.Message);
    }
}
