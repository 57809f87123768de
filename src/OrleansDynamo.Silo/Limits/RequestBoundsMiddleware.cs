using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using OrleansDynamo.Protocol.Limits;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Silo.Limits;

/// <summary>
/// Bounds every request Kestrel serves, on both ports, before it reaches a route:
/// <list type="bullet">
/// <item>a deadline (<see cref="SiloOptions.RequestDeadline"/>): the request's cancellation token fires then, whatever
/// deadline the caller asked for, so the handler answers DEADLINE_EXCEEDED (gRPC) or 503 (HTTP); a request still
/// running <see cref="ResetGrace"/> later (its body never arrived, or its handler ignores cancellation) is reset;</item>
/// <item>on the HTTP port no request body (<see cref="KestrelLimits.MaxHttpRequestBodyBytes"/>), except on the REST API's
/// PUT and POST routes (<see cref="Rest.RestFeature.TakesBody"/>), at most <see cref="LimitsOptions.MaxRequestBytes"/>: a
/// larger one is refused with 413 and the JSON error <c>too_large</c> before anything is read or written;</item>
/// <item>on the gRPC port a request whose message says it is larger than <see cref="LimitsOptions.MaxRequestBytes"/> is
/// answered RESOURCE_EXHAUSTED naming the limit, from the message's 5-byte prefix, before the message is read.</item>
/// </list>
/// </summary>
public sealed class RequestBoundsMiddleware(RequestDelegate next, SiloOptions options)
{
    /// <summary>How long after its deadline a request still running is reset.</summary>
    public static readonly TimeSpan ResetGrace = TimeSpan.FromSeconds(1);

    private const string GrpcContentType = "application/grpc";

    /// <summary>gRPC status RESOURCE_EXHAUSTED.</summary>
    private const int GrpcResourceExhausted = 8;

    private readonly TimeSpan _deadline = options.RequestDeadline;
    private readonly int _maxRequestBytes = options.Limits.MaxRequestBytes;

    public async Task InvokeAsync(HttpContext http)
    {
        bool httpPort = options.HttpPort > 0 && http.Connection.LocalPort == options.HttpPort;
        if (httpPort && RefuseBody(http) is { } refusal)
        {
            await refusal;
            return;
        }

        var callerGaveUp = http.RequestAborted;
        using var deadline = new CancellationTokenSource(_deadline);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(callerGaveUp, deadline.Token);
        http.RequestAborted = linked.Token;
        using var reset = new CancellationTokenSource(_deadline + ResetGrace);
        using var resetRegistration = reset.Token.UnsafeRegister(static s => ((HttpContext)s!).Abort(), http);
        try
        {
            if (!httpPort && IsGrpc(http) && await OversizedGrpcMessageAsync(http, linked.Token) is { } size)
            {
                await WriteGrpcRefusalAsync(http, TooLargeMessage(size, options));
                return;
            }
            await next(http);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !callerGaveUp.IsCancellationRequested)
        {
            if (http.Response.HasStarted || IsGrpc(http))
            {
                // A gRPC body that did not arrive in time, or an answer already under way: nothing clear can be sent.
                http.Abort();
                return;
            }
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await http.Response.WriteAsJsonAsync(new { error = DeadlineMessage(options), code = Rest.RestErrors.Timeout }, CancellationToken.None);
        }
        finally
        {
            // The linked source is disposed on the way out: what runs after this (the server's own bookkeeping) gets the
            // connection's token back, as ASP.NET Core's request timeouts do.
            http.RequestAborted = callerGaveUp;
        }
    }

    /// <summary>What a caller whose request ran out of time on this silo is told.</summary>
    public static string DeadlineMessage(SiloOptions options) =>
        $"the request did not finish within this silo's deadline of {options.RequestDeadline.TotalMilliseconds:0} ms ({LimitsOptions.Section}:RequestDeadlineMs)";

    /// <summary>
    /// A request on the HTTP port with a body larger than its route takes (none, or on the REST API's writes
    /// <see cref="LimitsOptions.MaxRequestBytes"/>): the answer, 413; null when it may go on. Kestrel stops a chunked
    /// body at the same limit.
    /// </summary>
    private Task? RefuseBody(HttpContext http)
    {
        bool rest = Rest.RestFeature.TakesBody(http.Request);
        long limit = rest ? _maxRequestBytes : KestrelLimits.MaxHttpRequestBodyBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } max) max.MaxRequestBodySize = limit;
        bool tooLarge = http.Request.ContentLength > limit
            || (limit == 0 && http.Request.ContentLength is null && http.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true);
        if (!tooLarge) return null;
        string message = rest
            ? TooLargeMessage(http.Request.ContentLength ?? 0, options)
            : "the dashboard and JSON API take no request body; every route is a GET";
        return Rest.RestErrors.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, Rest.RestErrors.TooLarge, message);
    }

    /// <summary>What a caller whose request body is <paramref name="size"/> bytes, above the limit, is told.</summary>
    public static string TooLargeMessage(long size, SiloOptions options, bool atLeast = false) =>
        $"the request is {(atLeast ? "more than " : "")}{size} bytes; this silo accepts at most {options.Limits.MaxRequestBytes} bytes " +
        $"({RequestSize.Describe(options.Limits.MaxValueBytes)} of value, {LimitsOptions.Section}:MaxValueBytes, plus {RequestSize.Describe(RequestSize.OverheadBytes)} of key and context)";

    private static bool IsGrpc(HttpContext http) =>
        http.Request.ContentType is { } type && type.StartsWith(GrpcContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The length the request's first gRPC message declares when it is above the limit, else null; reads the 5-byte
    /// prefix without consuming it (the gRPC service reads it again).
    /// </summary>
    private async Task<long?> OversizedGrpcMessageAsync(HttpContext http, CancellationToken ct)
    {
        PipeReader body = http.Request.BodyReader;
        while (true)
        {
            var result = await body.ReadAsync(ct);
            var buffer = result.Buffer;
            if (buffer.Length >= KestrelLimits.GrpcMessagePrefixBytes)
            {
                uint length = DeclaredLength(buffer);
                body.AdvanceTo(buffer.Start);
                return length > _maxRequestBytes ? length : null;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                body.AdvanceTo(buffer.Start);
                return null;
            }
            body.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The message length a gRPC prefix declares (after the compressed flag, 4 bytes big-endian).</summary>
    private static uint DeclaredLength(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[KestrelLimits.GrpcMessagePrefixBytes];
        buffer.Slice(0, KestrelLimits.GrpcMessagePrefixBytes).CopyTo(prefix);
        return BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
    }

    /// <summary>A gRPC answer with a status and no message (trailers-only): the headers carry the status.</summary>
    private static Task WriteGrpcRefusalAsync(HttpContext http, string message)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = GrpcContentType;
        http.Response.Headers["grpc-status"] = GrpcResourceExhausted.ToString(System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return http.Response.CompleteAsync();
    }
}
