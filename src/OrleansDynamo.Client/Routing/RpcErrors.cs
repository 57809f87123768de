using OrleansDynamo.Protocol;

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
        // GrpcConnection reports a connect or transport failure as UNAVAILABLE with the
        // HttpRequestException/IOException inside. A silo's own UNAVAILABLE answer (e.g. "write
        // quorum not reached") has none: it is the coordinator's verdict and goes to the caller
        // as it is; sending the write to another coordinator would only store it again.
        StatusCode.Unavailable when e.InnerException is HttpRequestException or IOException => FailureAction.MarkDownAndRetry,
        _ => FailureAction.Throw,
    };

    public static DynamoErrorKind KindOf(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.AlreadyExists or StatusCode.ResourceExhausted => DynamoErrorKind.InvalidArgument,
        StatusCode.NotFound => DynamoErrorKind.NotFound,
        StatusCode.Unavailable or StatusCode.Aborted or StatusCode.Cancelled => DynamoErrorKind.Unavailable,
        StatusCode.DeadlineExceeded => DynamoErrorKind.Timeout,
        StatusCode.FailedPrecondition or StatusCode.PermissionDenied or StatusCode.Unauthenticated => DynamoErrorKind.FailedPrecondition,
        _ => DynamoErrorKind.Internal,
    };

    public static DynamoException ToException(RpcException e, string address)
    {
        var kind = KindOf(e.StatusCode);
        string message = e.Detail;
        if (string.IsNullOrWhiteSpace(message))
            message = kind == DynamoErrorKind.Timeout ? $"{address}: no answer in time" : $"{address}: {e.StatusCode}";
        else if (kind == DynamoErrorKind.Timeout)
            message = $"{address}: no answer in time ({message})";
        return new DynamoException(kind, message, e) { Endpoint = address };
    }
}
