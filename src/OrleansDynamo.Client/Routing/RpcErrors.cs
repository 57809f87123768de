using Grpc.Core;

namespace OrleansDynamo.Client.Routing;

/// <summary>What the router does after a failed call.</summary>
internal enum FailureAction
{
    /// <summary>Throw at once: the silo answered (any error but an unreachable silo).</summary>
    Throw,
    /// <summary>The silo could not be reached: mark it down, refresh the ring, try the next silo.</summary>
    MarkDownAndRetry,
}

/// <summary>Maps gRPC failures to router actions and <see cref="DynamoException"/>s.</summary>
internal static class RpcErrors
{
    public static FailureAction Classify(RpcException e) => e.StatusCode switch
    {
        // Grpc.Net.Client reports a connect or transport failure as UNAVAILABLE with the local exception
        // (SocketException, HttpRequestException, IOException) as the status' debug exception. A silo's own
        // UNAVAILABLE answer (e.g. "write quorum not reached") has none: it is the coordinator's verdict and goes
        // to the caller as it is; sending the write to another coordinator would only store it again.
        StatusCode.Unavailable when IsTransportFailure(e) => FailureAction.MarkDownAndRetry,
        _ => FailureAction.Throw,
    };

    /// <summary>True when the call failed on this side (no connection, connection lost), not with the silo's answer.</summary>
    public static bool IsTransportFailure(RpcException e) => e.Status.DebugException is not null;

    public static DynamoErrorKind KindOf(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.AlreadyExists or StatusCode.ResourceExhausted => DynamoErrorKind.InvalidArgument,
        StatusCode.NotFound => DynamoErrorKind.NotFound,
        StatusCode.Unavailable or StatusCode.Aborted or StatusCode.Cancelled => DynamoErrorKind.Unavailable,
        StatusCode.DeadlineExceeded => DynamoErrorKind.Timeout,
        StatusCode.FailedPrecondition or StatusCode.PermissionDenied or StatusCode.Unauthenticated => DynamoErrorKind.FailedPrecondition,
        _ => DynamoErrorKind.Internal,
    };

    /// <summary>
    /// The failure in words: the silo's status message, or for a transport failure the address and what went
    /// wrong locally (e.g. <c>http://127.0.0.1:5000: Connection refused</c>); empty when there is neither.
    /// </summary>
    public static string Detail(RpcException e, string address)
    {
        if (e.Status.DebugException is { } local && IsTransportFailure(e))
        {
            var reason = local.InnerException is { } inner && inner.Message != local.Message ? $"{local.Message} ({inner.Message})" : local.Message;
            return $"{address}: {reason}";
        }
        return e.Status.Detail;
    }

    public static DynamoException ToException(RpcException e, string address)
    {
        var kind = KindOf(e.StatusCode);
        string message = Detail(e, address);
        if (string.IsNullOrWhiteSpace(message))
            message = kind == DynamoErrorKind.Timeout ? $"{address}: no answer in time" : $"{address}: {e.StatusCode}";
        else if (kind == DynamoErrorKind.Timeout)
            message = $"{address}: no answer in time ({message})";
        return new DynamoException(kind, message, e) { Endpoint = address };
    }
}
