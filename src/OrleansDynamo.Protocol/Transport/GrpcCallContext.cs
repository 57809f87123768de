using Microsoft.AspNetCore.Http;

namespace OrleansDynamo.Protocol;

/// <summary>
/// What a unary handler knows about its call: the deadline the client sent, a token that fires when the
/// client goes away or the deadline passes, the request headers and the underlying <see cref="HttpContext"/>.
/// </summary>
public sealed class GrpcCallContext
{
    internal GrpcCallContext(HttpContext httpContext, string method, DateTime? deadline, CancellationToken cancellationToken)
    {
        HttpContext = httpContext;
        Method = method;
        Deadline = deadline;
        CancellationToken = cancellationToken;
    }

    /// <summary>The HTTP/2 request behind the call.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>The full method path, e.g. <c>/orleansdynamo.v1.Dynamo/Put</c>.</summary>
    public string Method { get; }

    /// <summary>When the call expires (UTC), from the <c>grpc-timeout</c> header; null when the client sent none.</summary>
    public DateTime? Deadline { get; }

    /// <summary>Fires when the client aborts the call or the deadline passes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The request headers (gRPC metadata).</summary>
    public IHeaderDictionary RequestHeaders => HttpContext.Request.Headers;

    /// <summary>The remote endpoint, e.g. <c>127.0.0.1:50312</c>, or empty when unknown.</summary>
    public string Peer
    {
        get
        {
            var connection = HttpContext.Connection;
            return connection.RemoteIpAddress is { } ip ? $"{ip}:{connection.RemotePort}" : string.Empty;
        }
    }
}
