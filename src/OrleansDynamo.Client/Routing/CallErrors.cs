using System.Net.Sockets;
using Grpc.Core;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace OrleansDynamo.Client.Routing;

/// <summary>What the router does after a failed call.</summary>
internal enum FailureAction
{
    /// <summary>Throw at once: the silo answered (any error but an unreachable silo).</summary>
    Throw,
    /// <summary>The silo could not be reached: mark it down, refresh the ring, try the next silo.</summary>
    MarkDownAndRetry,
}

/// <summary>A failed call as the router sees it: what to do, whether to skip the silo for a while, what to throw.</summary>
internal readonly record struct CallFailure(FailureAction Action, bool MarkDown, DynamoException Error);

/// <summary>The silo did not answer within the request timeout.</summary>
internal sealed class CallTimeoutException() : TimeoutException("no answer in time");

/// <summary>The connection to a silo's gateway could not be opened.</summary>
internal sealed class GatewayUnreachableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Maps what a call to a silo failed with (a grain call, or the gRPC call that finds a gateway) to router actions.</summary>
internal static class CallErrors
{
    public static CallFailure Classify(Exception e, string address) => e switch
    {
        // The silo's own answer (bad input, no quorum, ...): the coordinator's verdict goes to the caller as it is;
        // sending a write to another coordinator would only store it again.
        DynamoException d => new(FailureAction.Throw, false, new DynamoException(d.Kind, d.Message, d) { Endpoint = address }),
        // Too slow to coordinate: let the next requests start elsewhere, but do not resend this one (the deadline is the caller's).
        TimeoutException => new(FailureAction.Throw, true, new DynamoException(DynamoErrorKind.Timeout, $"{address}: no answer in time", e) { Endpoint = address }),
        RpcException r => Classify(r, address),
        // Nothing reached the silo, or the connection to it broke: another silo may do.
        GatewayUnreachableException or SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or SocketException
            or IOException or ObjectDisposedException
            => new(FailureAction.MarkDownAndRetry, true, new DynamoException(DynamoErrorKind.Unavailable, $"{address}: {Reason(e)}", e) { Endpoint = address }),
        _ => new(FailureAction.Throw, false, new DynamoException(DynamoErrorKind.Internal, $"{address}: {e.GetType().Name}: {e.Message}", e) { Endpoint = address }),
    };

    /// <summary>
    /// A gRPC failure (finding a silo's gateway). Grpc.Net.Client reports a connect or transport failure as UNAVAILABLE
    /// with the local exception as the status' debug exception; a silo's own status has none.
    /// </summary>
    private static CallFailure Classify(RpcException e, string address)
    {
        bool transport = e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null;
        var kind = KindOf(e.StatusCode);
        string message = Detail(e, address);
        if (string.IsNullOrWhiteSpace(message))
            message = kind == DynamoErrorKind.Timeout ? $"{address}: no answer in time" : $"{address}: {e.StatusCode}";
        else if (kind == DynamoErrorKind.Timeout)
            message = $"{address}: no answer in time ({message})";
        var error = new DynamoException(kind, message, e) { Endpoint = address };
        return new(transport ? FailureAction.MarkDownAndRetry : FailureAction.Throw, transport || e.StatusCode == StatusCode.DeadlineExceeded, error);
    }

    private static DynamoErrorKind KindOf(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange or StatusCode.AlreadyExists or StatusCode.ResourceExhausted => DynamoErrorKind.InvalidArgument,
        StatusCode.NotFound => DynamoErrorKind.NotFound,
        StatusCode.Unavailable or StatusCode.Aborted or StatusCode.Cancelled => DynamoErrorKind.Unavailable,
        StatusCode.DeadlineExceeded => DynamoErrorKind.Timeout,
        StatusCode.FailedPrecondition => DynamoErrorKind.FailedPrecondition,
        StatusCode.Unauthenticated => DynamoErrorKind.Unauthenticated,
        StatusCode.PermissionDenied => DynamoErrorKind.PermissionDenied,
        _ => DynamoErrorKind.Internal,
    };

    /// <summary>
    /// True for a refusal of the caller's credential: every silo of the cluster would answer the same, so it is thrown
    /// at once, never retried elsewhere.
    /// </summary>
    public static bool IsRefusal(DynamoException e) => e.Kind is DynamoErrorKind.Unauthenticated or DynamoErrorKind.PermissionDenied;

    private static string Detail(RpcException e, string address) =>
        e.Status.DebugException is { } local && e.StatusCode == StatusCode.Unavailable ? $"{address}: {Reason(local)}" : e.Status.Detail;

    /// <summary>What went wrong, with the cause when it says more (e.g. <c>... (Connection refused)</c>).</summary>
    private static string Reason(Exception e)
    {
        var inner = e is GatewayUnreachableException ? e.InnerException! : e;
        var cause = inner.InnerException;
        return cause is not null && cause.Message != inner.Message ? $"{inner.Message} ({cause.Message})" : inner.Message;
    }
}
