using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OrleansDynamo.Silo.Limits;

/// <summary>
/// Kestrel's limits on both of a silo's ports (gRPC and HTTP): request line, headers and body sizes, how long
/// headers may take, how slowly a body may arrive, how long a quiet connection lives, and HTTP/2 pings and
/// streams. The body limit of the HTTP port is set per request (<see cref="RequestBoundsMiddleware"/>).
/// </summary>
public static class KestrelLimits
{
    /// <summary>A gRPC message's prefix on the wire: a compressed flag and a 4-byte length.</summary>
    public const int GrpcMessagePrefixBytes = 5;

    /// <summary>The request line (method, path and query; a key lookup's query carries a key of at most 1 KiB): 8 KiB (Kestrel's).</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>All headers of one request together (HTTP/1.1; on HTTP/2 the decoded header list): 32 KiB (Kestrel's).</summary>
    public const int MaxRequestHeadersTotalBytes = 32 * 1024;

    /// <summary>Headers in one request: 100 (Kestrel's).</summary>
    public const int MaxRequestHeaderCount = 100;

    /// <summary>One header field on HTTP/2 (name and value, after HPACK): 16 KiB (Kestrel's).</summary>
    public const int MaxHttp2HeaderFieldBytes = 16 * 1024;

    /// <summary>
    /// The body of a request on the HTTP port: none. Every route there (dashboard, JSON API, <c>/metrics</c>) is a GET,
    /// except the REST API's writes, which take up to <see cref="LimitsOptions.MaxRequestBytes"/> (<see cref="RequestBoundsMiddleware"/>).
    /// </summary>
    public const long MaxHttpRequestBodyBytes = 0;

    /// <summary>The body of a gRPC request: one message of at most <see cref="LimitsOptions.MaxRequestBytes"/> with its prefix.</summary>
    public static long MaxGrpcRequestBodyBytes(LimitsOptions limits) => (long)limits.MaxRequestBytes + GrpcMessagePrefixBytes;

    public static void Apply(KestrelServerLimits k, LimitsOptions limits)
    {
        k.MaxRequestLineSize = MaxRequestLineBytes;
        k.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalBytes;
        k.MaxRequestHeaderCount = MaxRequestHeaderCount;
        k.MaxRequestBodySize = MaxGrpcRequestBodyBytes(limits);
        k.RequestHeadersTimeout = TimeSpan.FromMilliseconds(limits.RequestHeadersTimeoutMs);
        k.KeepAliveTimeout = TimeSpan.FromMilliseconds(limits.KeepAliveTimeoutMs);
        k.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, TimeSpan.FromMilliseconds(limits.RequestBodyGracePeriodMs));
        k.Http2.MaxStreamsPerConnection = limits.MaxStreamsPerConnection;
        k.Http2.MaxRequestHeaderFieldSize = MaxHttp2HeaderFieldBytes;
        k.Http2.KeepAlivePingDelay = TimeSpan.FromMilliseconds(limits.Http2KeepAlivePingDelayMs);
        k.Http2.KeepAlivePingTimeout = TimeSpan.FromMilliseconds(limits.Http2KeepAlivePingTimeoutMs);
    }
}
