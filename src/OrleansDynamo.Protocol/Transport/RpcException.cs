namespace OrleansDynamo.Protocol;

/// <summary>
/// A gRPC call that ended with a non-OK status. Thrown by <see cref="GrpcConnection"/> on the client side;
/// thrown by a handler mapped with <see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcUnary{TRequest, TResponse}"/>
/// to answer with that status.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="statusCode"/> and <paramref name="detail"/>.</summary>
    public RpcException(StatusCode statusCode, string detail, Exception? innerException = null)
        : base($"Status(StatusCode=\"{statusCode}\", Detail=\"{detail}\")", innerException)
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The gRPC status code.</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The status message (the decoded <c>grpc-message</c>), possibly empty.</summary>
    public string Detail { get; }
}
