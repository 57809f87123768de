using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Orleans;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Limits;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Silo.Limits;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// The client API as Orleans calls (<see cref="IDynamoApi"/>), behind both of its entry points: the system target the
/// SDK addresses silo by silo (<see cref="DynamoApiService"/>) and the stateless worker an application's own Orleans
/// client calls (<see cref="DynamoApiGrain"/>). Each call goes to <see cref="WireApi"/>; what fails reaches the client
/// as a <see cref="DynamoException"/> of the kind the gRPC service answers with a status. The API key comes from the
/// call's Orleans request context (<see cref="ApiKeys.RequestContextKey"/>, set by the SDK), and is taken out of it so
/// that it does not travel on with the calls this one makes to other silos. Bounded as the gRPC service is: a request
/// larger than <see cref="LimitsOptions.MaxRequestBytes"/> is refused, and each call runs under the silo's
/// <see cref="Hosting.SiloOptions.RequestDeadline"/> whatever the caller's own timeout.
/// </summary>
internal sealed class DynamoApiCalls(WireApi api, SiloRuntime silo, ILogger<DynamoApiCalls> log)
{
    public Task<GetResponse> Get(GetRequest request, CancellationToken cancellationToken) => Run(request, api.Get, cancellationToken, "get");

    public Task<PutResponse> Put(PutRequest request, CancellationToken cancellationToken) => Run(request, api.Put, cancellationToken, "put");

    public Task<PutResponse> Delete(DeleteRequest request, CancellationToken cancellationToken) => Run(request, api.Delete, cancellationToken, "delete");

    public Task<RingInfo> GetRing(GetRingRequest request, CancellationToken cancellationToken) => Run(request, api.GetRing, cancellationToken, "ring");

    public Task<StatusResponse> GetStatus(StatusRequest request, CancellationToken cancellationToken) => Run(request, api.GetStatus, cancellationToken, "status");

    public Task<BucketInfo> CreateBucket(CreateBucketRequest request, CancellationToken cancellationToken) => Run(request, api.CreateBucket, cancellationToken, "bucket");

    public Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, CancellationToken cancellationToken) =>
        Run(request, api.GetReplicas, cancellationToken, "replicas");

    public Task<AdminResponse> Join(JoinRequest request, CancellationToken cancellationToken) => Run(request, api.Join, cancellationToken, "join");

    public Task<AdminResponse> Leave(LeaveRequest request, CancellationToken cancellationToken) => Run(request, api.Leave, cancellationToken, "leave");

    public Task<AdminResponse> Repair(RepairRequest request, CancellationToken cancellationToken) => Run(request, api.Repair, cancellationToken, "repair");

    public Task<UpdateResponse> Update(UpdateRequest request, CancellationToken cancellationToken) => Run(request, api.Update, cancellationToken, "update");

    public Task<FetchResponse> Fetch(FetchRequest request, CancellationToken cancellationToken) => Run(request, api.Fetch, cancellationToken, "fetch");

    public Task<ReadReplicaResponse> ReadReplica(ReadReplicaRequest request, CancellationToken cancellationToken) =>
        Run(request, api.ReadReplica, cancellationToken, "read-replica");

    private static string? TakeKey()
    {
        var key = RequestContext.Get(ApiKeys.RequestContextKey) as string;
        if (key is not null) RequestContext.Remove(ApiKeys.RequestContextKey);
        return key;
    }

    /// <summary>
    /// Checks the request's size, then runs the call under the silo's deadline and awaits it; a failure that is not a
    /// <see cref="DynamoException"/> becomes one.
    /// </summary>
    private async Task<T> Run<TRequest, T>(TRequest request, Func<TRequest, string?, CancellationToken, Task<T>> call, CancellationToken cancellationToken, string method)
        where TRequest : IMessage
    {
        string? key = TakeKey();
        var limits = silo.Options.Limits;
        int size = request?.CalculateSize() ?? 0;
        if (size > limits.MaxRequestBytes)
            throw DynamoException.Invalid($"the request is {size} bytes; this silo accepts at most {limits.MaxRequestBytes} bytes " +
                $"({RequestSize.Describe(limits.MaxValueBytes)} of value, {LimitsOptions.Section}:MaxValueBytes, plus {RequestSize.Describe(RequestSize.OverheadBytes)} of key and context)");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(silo.Options.RequestDeadline);
        try
        {
            return await call(request!, key, deadline.Token);
        }
        catch (Exception e) when (e is not DynamoException)
        {
            throw e switch
            {
                StorageLimitException l => DynamoException.Invalid(l.Message),
                StorageFullException f => DynamoException.Unavailable($"{silo.Name}: {f.Message}"),
                OperationCanceledException when !cancellationToken.IsCancellationRequested => new DynamoException(DynamoErrorKind.Timeout, RequestBoundsMiddleware.DeadlineMessage(silo.Options)),
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

