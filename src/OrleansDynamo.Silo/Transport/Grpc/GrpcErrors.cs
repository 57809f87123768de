using OrleansDynamo.Protocol;

namespace OrleansDynamo.Silo.Transport.Grpc;

/// <summary>The one mapping between <see cref="DynamoErrorKind"/> and gRPC status codes, both ways.</summary>
public static class GrpcErrors
{
    public static StatusCode ToStatus(DynamoErrorKind kind) => kind switch
    {
        DynamoErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        DynamoErrorKind.NotFound => StatusCode.NotFound,
        DynamoErrorKind.Unavailable => StatusCode.Unavailable,
        DynamoErrorKind.Timeout => StatusCode.DeadlineExceeded,
        DynamoErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        _ => StatusCode.Internal,
    };

    public static DynamoErrorKind FromStatus(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => DynamoErrorKind.InvalidArgument,
        StatusCode.NotFound => DynamoErrorKind.NotFound,
        StatusCode.Unavailable => DynamoErrorKind.Unavailable,
        StatusCode.DeadlineExceeded or StatusCode.Cancelled => DynamoErrorKind.Timeout,
        StatusCode.FailedPrecondition or StatusCode.PermissionDenied => DynamoErrorKind.FailedPrecondition,
        _ => DynamoErrorKind.Internal,
    };

    public static RpcException ToRpc(Exception e) => e switch
    {
        RpcException rpc => rpc,
        DynamoException d => new RpcException(ToStatus(d.Kind), d.Message),
        Storage.StorageLimitException l => new RpcException(StatusCode.InvalidArgument, l.Message),
        OperationCanceledException => new RpcException(StatusCode.DeadlineExceeded, "the request's deadline passed"),
        _ => new RpcException(StatusCode.Internal, e.GetType().Name + ": " + e.Message),
    };

    public static DynamoException FromRpc(RpcException e) => new(FromStatus(e.StatusCode), e.Detail, e);

    /// <summary>Runs a handler, turning domain failures into gRPC statuses.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> handler)
    {
        try
        {
            return await handler();
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw ToRpc(e);
        }
    }
}
