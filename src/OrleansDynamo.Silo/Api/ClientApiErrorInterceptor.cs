using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// Turns what a client API call failed with into its gRPC status, the codes the SDK, the CLI and other clients
/// rely on: bad input INVALID_ARGUMENT (nothing was written), an unknown bucket NOT_FOUND, no quorum or an
/// unreachable silo UNAVAILABLE, a passed deadline DEADLINE_EXCEEDED (the caller's, or this silo's
/// <c>Silo:Limits:RequestDeadlineMs</c>: grpc-dotnet answers a caller's own deadline itself, so a cancelled handler
/// still answering ran out of the silo's), a silo not in a state to serve
/// FAILED_PRECONDITION, a missing or unknown API key UNAUTHENTICATED, a key whose role does not allow the verb
/// PERMISSION_DENIED, anything else INTERNAL with the exception named.
/// </summary>
public sealed class ClientApiErrorInterceptor(ILogger<ClientApiErrorInterceptor> logger, SiloRuntime silo) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            var status = e is OperationCanceledException
                ? new Status(StatusCode.DeadlineExceeded, Limits.RequestBoundsMiddleware.DeadlineMessage(silo.Options))
                : ToStatus(e);
            if (status.StatusCode == StatusCode.Internal) logger.LogError(e, "Client API call {Method} failed", context.Method);
            throw new RpcException(status);
        }
    }

    /// <summary>The status a failure is answered with.</summary>
    public static Status ToStatus(Exception e) => e switch
    {
        DynamoException d => new Status(ToStatusCode(d.Kind), d.Message),
        StorageLimitException l => new Status(StatusCode.InvalidArgument, l.Message),
        OperationCanceledException => new Status(StatusCode.DeadlineExceeded, "the request's deadline passed"),
        _ => new Status(StatusCode.Internal, e.GetType().Name + ": " + e.Message),
    };

    public static StatusCode ToStatusCode(DynamoErrorKind kind) => kind switch
    {
        DynamoErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        DynamoErrorKind.NotFound => StatusCode.NotFound,
        DynamoErrorKind.Unavailable => StatusCode.Unavailable,
        DynamoErrorKind.Timeout => StatusCode.DeadlineExceeded,
        DynamoErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        DynamoErrorKind.Unauthenticated => StatusCode.Unauthenticated,
        DynamoErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        _ => StatusCode.Internal,
    };
}
