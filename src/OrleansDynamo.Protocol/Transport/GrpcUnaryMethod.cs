using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol;

/// <summary>
/// Serves one unary gRPC method on a Kestrel endpoint: reads the length-prefixed request from the body pipe,
/// calls the handler, writes the framed response and the <c>grpc-status</c>/<c>grpc-message</c> trailers.
/// </summary>
internal sealed class GrpcUnaryMethod<TRequest, TResponse> : IGrpcBatchableMethod
    where TRequest : IMessage<TRequest>, new()
    where TResponse : IMessage<TResponse>
{
    /// <summary>Longer timeouts are honoured as a deadline but get no timer (a timer cannot exceed ~49 days).</summary>
    private static readonly TimeSpan s_maxTimer = TimeSpan.FromDays(30);

    private readonly MessageParser<TRequest> _parser = new(() => new TRequest());
    private readonly Func<TRequest, GrpcCallContext, Task<TResponse>> _handler;
    private readonly GrpcServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public GrpcUnaryMethod(string path, Func<TRequest, GrpcCallContext, Task<TResponse>> handler,
        GrpcServerOptions options, TimeProvider time, ILogger logger)
    {
        Path = path;
        _handler = handler;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The route, <c>/{service}/{method}</c>.</summary>
    public string Path { get; }

    public async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        var response = http.Response;
        if (!GrpcServerResponses.IsGrpcRequest(request))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        response.ContentType = GrpcProtocol.ContentType;
        var encoding = request.Headers["grpc-encoding"];
        if (encoding.Count > 0 && !string.Equals(encoding[0], "identity", StringComparison.Ordinal))
        {
            response.Headers["grpc-accept-encoding"] = "identity";
            GrpcServerResponses.WriteStatus(response, StatusCode.Unimplemented, $"Unsupported grpc-encoding '{encoding[0]}'.", trailersOnly: true);
            return;
        }

        var timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader];
        var timeout = timeoutHeader.Count > 0 ? GrpcProtocol.ParseTimeout(timeoutHeader[0]) : null;
        DateTime? deadline = null;
        CancellationTokenSource? deadlineCts = null;
        CancellationTokenRegistration abortRegistration = default;
        var token = http.RequestAborted;
        if (timeout is { } t)
        {
            var now = _time.GetUtcNow().UtcDateTime;
            deadline = t < DateTime.MaxValue - now ? now + t : DateTime.MaxValue;
            if (t <= s_maxTimer)
            {
                deadlineCts = new CancellationTokenSource(t, _time);
                abortRegistration = http.RequestAborted.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadlineCts);
                token = deadlineCts.Token;
            }
        }

        var wroteMessage = false;
        try
        {
            var message = await ReadMessageAsync(request.BodyReader, token).ConfigureAwait(false);
            var reply = await _handler(message, new GrpcCallContext(http, Path, deadline, token)).ConfigureAwait(false);
            if (DeadlinePassed(http, deadlineCts))
                throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded");
            WriteMessage(response.BodyWriter, reply);
            wroteMessage = true;
            GrpcServerResponses.WriteStatus(response, StatusCode.OK, null, trailersOnly: false);
        }
        catch (Exception e)
        {
            var (code, detail) = Classify(e, http.RequestAborted.IsCancellationRequested, DeadlinePassed(http, deadlineCts));
            if (code is StatusCode.Internal or StatusCode.Unknown)
                _logger.LogError(e, "gRPC method {Method} failed", Path);
            GrpcServerResponses.WriteStatus(response, code, detail, trailersOnly: !wroteMessage && !response.HasStarted);
        }
        finally
        {
            abortRegistration.Dispose();
            deadlineCts?.Dispose();
        }
    }

    /// <summary>
    /// Runs the method for one call of a batch: <paramref name="message"/> is the serialized request, the answer
    /// carries the status and the serialized response. <paramref name="token"/> is the batch's (client gone or
    /// the batch's deadline passed).
    /// </summary>
    public async Task<BatchReply> InvokeAsync(ByteString message, HttpContext http, DateTime? deadline, CancellationToken token)
    {
        try
        {
            if (message.Length > _options.MaxReceiveMessageBytes)
            {
                throw new RpcException(StatusCode.ResourceExhausted,
                    $"Received message larger than max ({message.Length} vs. {_options.MaxReceiveMessageBytes}).");
            }
            TRequest request;
            try
            {
                request = _parser.ParseFrom(message);
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(StatusCode.Internal, "Failed to deserialize request message: " + e.Message, e);
            }
            var reply = await _handler(request, new GrpcCallContext(http, Path, deadline, token)).ConfigureAwait(false);
            var size = reply.CalculateSize();
            if (size > _options.MaxSendMessageBytes)
                throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {_options.MaxSendMessageBytes}).");
            return new BatchReply { Message = reply.ToByteString() };
        }
        catch (Exception e)
        {
            var aborted = http.RequestAborted.IsCancellationRequested;
            var (code, detail) = Classify(e, aborted, token.IsCancellationRequested && !aborted);
            if (code is StatusCode.Internal or StatusCode.Unknown)
                _logger.LogError(e, "gRPC method {Method} failed inside a batch", Path);
            return new BatchReply { Status = (uint)code, Detail = detail };
        }
    }

    private async ValueTask<TRequest> ReadMessageAsync(PipeReader reader, CancellationToken token)
    {
        while (true)
        {
            var result = await reader.ReadAsync(token).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryParse(buffer, out var message, out var consumed))
            {
                reader.AdvanceTo(consumed);
                return message;
            }
            if (result.IsCompleted)
            {
                throw new RpcException(StatusCode.Internal,
                    buffer.IsEmpty ? "Request did not contain a message." : "Incomplete message.");
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private bool TryParse(ReadOnlySequence<byte> buffer, out TRequest message, out SequencePosition consumed)
    {
        message = default!;
        consumed = buffer.Start;
        if (buffer.Length < GrpcProtocol.FrameHeaderSize)
            return false;
        Span<byte> header = stackalloc byte[GrpcProtocol.FrameHeaderSize];
        buffer.Slice(0, GrpcProtocol.FrameHeaderSize).CopyTo(header);
        var (compressed, length) = GrpcProtocol.ReadFrameHeader(header);
        if (compressed)
            throw new RpcException(StatusCode.Internal, "Compressed message received but no grpc-encoding was negotiated.");
        if (length > (uint)_options.MaxReceiveMessageBytes)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Received message larger than max ({length} vs. {_options.MaxReceiveMessageBytes}).");
        }
        if (buffer.Length < GrpcProtocol.FrameHeaderSize + length)
            return false;
        try
        {
            message = _parser.ParseFrom(buffer.Slice(GrpcProtocol.FrameHeaderSize, length));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, "Failed to deserialize request message: " + e.Message, e);
        }
        consumed = buffer.GetPosition(GrpcProtocol.FrameHeaderSize + length);
        return true;
    }

    private void WriteMessage(PipeWriter writer, TResponse reply)
    {
        var size = reply.CalculateSize();
        if (size > _options.MaxSendMessageBytes)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"Sending message larger than max ({size} vs. {_options.MaxSendMessageBytes}).");
        }
        GrpcProtocol.WriteFrameHeader(writer.GetSpan(GrpcProtocol.FrameHeaderSize), size);
        writer.Advance(GrpcProtocol.FrameHeaderSize);
        reply.WriteTo(writer);
    }

    private static bool DeadlinePassed(HttpContext http, CancellationTokenSource? deadlineCts) =>
        deadlineCts is { IsCancellationRequested: true } && !http.RequestAborted.IsCancellationRequested;

    private static (StatusCode Code, string Detail) Classify(Exception e, bool aborted, bool deadlinePassed) => e switch
    {
        RpcException rpc => (rpc.StatusCode, rpc.Detail),
        OperationCanceledException when deadlinePassed => (StatusCode.DeadlineExceeded, "Deadline Exceeded"),
        OperationCanceledException when aborted => (StatusCode.Cancelled, "Call canceled by the client."),
        _ => (StatusCode.Internal, string.Create(CultureInfo.InvariantCulture, $"Exception was thrown by handler. {e.GetType().Name}: {e.Message}")),
    };
}
