using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace OrleansDynamo.Protocol;

/// <summary>
/// The client side of the gRPC wire protocol for one remote address (e.g. <c>http://127.0.0.1:5000</c>): one pooled
/// HTTP/2 handler speaking prior knowledge. Thread-safe; share one per address (see <see cref="GrpcConnectionPool"/>).
/// </summary>
/// <remarks>
/// Hot-path notes (measured with <c>dynamo bench</c>): calls go through an <see cref="HttpMessageInvoker"/>, not an
/// <see cref="HttpClient"/>, which would add a linked cancellation source, its timeout logic and telemetry per call
/// (grpc-dotnet does the same); the <c>grpc-timeout</c> text of the last timeout used is cached, since a caller
/// almost always passes the same one; deadline sources are reused when they did not fire.
/// </remarks>
public sealed class GrpcConnection : IDisposable
{
    /// <summary>Deadline sources kept for reuse per connection; more concurrent calls simply allocate.</summary>
    private const int MaxPooledDeadlines = 256;

    private readonly HttpMessageInvoker _invoker;
    private readonly GrpcConnectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Service, string Method), Uri> _uris = new();
    private readonly ConcurrentQueue<CancellationTokenSource> _deadlines = new();
    private readonly ConcurrentDictionary<string, GrpcCallBatcher> _batchers = new(StringComparer.Ordinal);
    private int _pooledDeadlines;
    private TimeoutText? _lastTimeout;

    /// <summary>Creates a connection to <paramref name="address"/> (http:// for cleartext h2c, or https://).</summary>
    public GrpcConnection(Uri address, GrpcConnectionOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"A gRPC address must be an absolute http:// or https:// URI, not '{address}'.", nameof(address));
        _options = options ?? new GrpcConnectionOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        Address = address;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = _options.EnableMultipleHttp2Connections,
            PooledConnectionIdleTimeout = _options.PooledConnectionIdleTimeout,
            KeepAlivePingDelay = _options.KeepAlivePingDelay,
            KeepAlivePingTimeout = _options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = _options.ConnectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ActivityHeadersPropagator = null,
        };
        _invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>The remote address this connection talks to.</summary>
    public Uri Address { get; }

    /// <summary>
    /// Calls <c>/{service}/{method}</c> with <paramref name="request"/> and returns the parsed response.
    /// A <paramref name="timeout"/> is sent as <c>grpc-timeout</c> and enforced here too (DEADLINE_EXCEEDED).
    /// Throws <see cref="RpcException"/> for any non-OK status, UNAVAILABLE when the address cannot be reached,
    /// and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string service, string method, TRequest request,
        MessageParser<TResponse> parser, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);
        var size = request.CalculateSize();
        if (size > _options.MaxSendMessageBytes)
            throw new RpcException(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {_options.MaxSendMessageBytes}).");

        using var message = new HttpRequestMessage(HttpMethod.Post, GetUri(service, method))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcRequestContent(request, size),
        };
        message.Headers.TryAddWithoutValidation("te", "trailers");

        CancellationTokenSource? deadlineCts = null;
        CancellationTokenRegistration registration = default;
        var token = cancellationToken;
        if (timeout is { } t)
        {
            if (t <= TimeSpan.Zero)
                throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded");
            message.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, FormatTimeout(t));
            deadlineCts = RentDeadline(t);
            if (cancellationToken.CanBeCanceled)
                registration = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadlineCts);
            token = deadlineCts.Token;
        }

        try
        {
            // SocketsHttpHandler answers once the response headers are in; the body is read as a stream.
            using var response = await _invoker.SendAsync(message, token).ConfigureAwait(false);
            return await ReadResponseAsync(response, parser, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e) when (deadlineCts is { IsCancellationRequested: true })
        {
            throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded", e);
        }
        catch (HttpRequestException e)
        {
            throw Unavailable(e);
        }
        catch (IOException e)
        {
            throw Unavailable(e);
        }
        finally
        {
            registration.Dispose();
            if (deadlineCts is not null) ReturnDeadline(deadlineCts);
        }
    }

    /// <summary>
    /// The batcher for <paramref name="service"/> on this connection, created on first use with
    /// <paramref name="options"/> (later options are ignored). The server must map <c>/{service}/Batch</c>
    /// (<see cref="GrpcEndpointRouteBuilderExtensions.MapGrpcBatch"/>); one that does not is sent plain calls.
    /// </summary>
    public GrpcCallBatcher Batcher(string service, GrpcBatchingOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        if (_batchers.TryGetValue(service, out var batcher)) return batcher;
        options ??= new GrpcBatchingOptions();
        options.Validate();
        return _batchers.GetOrAdd(service, s => new GrpcCallBatcher(this, s, options, _time));
    }

    /// <summary>Closes the pooled connections.</summary>
    public void Dispose()
    {
        _invoker.Dispose();
        while (_deadlines.TryDequeue(out var cts)) cts.Dispose();
    }

    /// <summary>The <c>grpc-timeout</c> text for <paramref name="timeout"/>, reusing the last one when it is the same.</summary>
    private string FormatTimeout(TimeSpan timeout)
    {
        var last = Volatile.Read(ref _lastTimeout);
        if (last is not null && last.Timeout == timeout) return last.Text;
        var text = GrpcProtocol.FormatTimeout(timeout);
        Volatile.Write(ref _lastTimeout, new TimeoutText(timeout, text));
        return text;
    }

    /// <summary>A source that cancels after <paramref name="timeout"/> on this connection's clock, reused when possible.</summary>
    private CancellationTokenSource RentDeadline(TimeSpan timeout)
    {
        if (_deadlines.TryDequeue(out var cts))
        {
            Interlocked.Decrement(ref _pooledDeadlines);
            cts.CancelAfter(timeout);
            return cts;
        }
        return new CancellationTokenSource(timeout, _time);
    }

    /// <summary>Keeps a source that did not fire (TryReset also stops its timer); disposes one that did.</summary>
    private void ReturnDeadline(CancellationTokenSource cts)
    {
        if (cts.TryReset())
        {
            if (Interlocked.Increment(ref _pooledDeadlines) <= MaxPooledDeadlines)
            {
                _deadlines.Enqueue(cts);
                return;
            }
            Interlocked.Decrement(ref _pooledDeadlines);
        }
        cts.Dispose();
    }

    private sealed record TimeoutText(TimeSpan Timeout, string Text);

    private Uri GetUri(string service, string method)
    {
        var key = (service, method);
        return _uris.TryGetValue(key, out var uri) ? uri : _uris.GetOrAdd(key, new Uri(Address, $"/{service}/{method}"));
    }

    private async Task<TResponse> ReadResponseAsync<TResponse>(HttpResponseMessage response, MessageParser<TResponse> parser,
        CancellationToken token)
        where TResponse : IMessage<TResponse>
    {
        // "Trailers-only": the status arrives in the headers and there is no message.
        if (TryReadStatus(response.Headers, out var headerStatus, out var headerDetail))
            throw new RpcException(headerStatus == StatusCode.OK ? StatusCode.Internal : headerStatus,
                headerStatus == StatusCode.OK ? "Response ended without a message." : headerDetail);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var code = (int)response.StatusCode;
            throw new RpcException(GrpcProtocol.FromHttpStatus(code),
                string.Create(CultureInfo.InvariantCulture, $"Bad gRPC response. HTTP status code: {code}"));
        }

        var stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var read = await stream.ReadAtLeastAsync(buffer, GrpcProtocol.FrameHeaderSize, throwOnEndOfStream: false, token).ConfigureAwait(false);
            if (read == 0)
            {
                ThrowForTrailers(response);
                throw new RpcException(StatusCode.Internal, "Response ended without a message.");
            }
            if (read < GrpcProtocol.FrameHeaderSize)
                throw new RpcException(StatusCode.Internal, "Incomplete message header.");
            var (compressed, length) = GrpcProtocol.ReadFrameHeader(buffer);
            if (compressed)
                throw new RpcException(StatusCode.Internal, "Compressed message received but no grpc-encoding was negotiated.");
            if (length > (uint)_options.MaxReceiveMessageBytes)
                throw new RpcException(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {_options.MaxReceiveMessageBytes}).");
            var total = GrpcProtocol.FrameHeaderSize + (int)length;
            if (buffer.Length <= total)
            {
                var larger = ArrayPool<byte>.Shared.Rent(total + 1);
                buffer.AsSpan(0, read).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            if (read < total)
                read += await stream.ReadAtLeastAsync(buffer.AsMemory(read, total - read), total - read, throwOnEndOfStream: false, token).ConfigureAwait(false);
            if (read < total)
                throw new RpcException(StatusCode.Internal, "Incomplete message.");
            // Read to the end of the body so that the trailers arrive; a unary call carries exactly one message.
            if (read > total || await stream.ReadAsync(buffer.AsMemory(total, 1), token).ConfigureAwait(false) != 0)
                throw new RpcException(StatusCode.Internal, "Unary response carried more than one message.");
            ThrowForTrailers(response);
            try
            {
                return parser.ParseFrom(new ReadOnlySpan<byte>(buffer, GrpcProtocol.FrameHeaderSize, (int)length));
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(StatusCode.Internal, "Failed to deserialize response message: " + e.Message, e);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void ThrowForTrailers(HttpResponseMessage response)
    {
        if (!TryReadStatus(response.TrailingHeaders, out var status, out var detail))
            throw new RpcException(StatusCode.Internal, "No grpc-status found on response.");
        if (status != StatusCode.OK)
            throw new RpcException(status, detail);
    }

    private static bool TryReadStatus(HttpHeaders headers, out StatusCode status, out string detail)
    {
        status = StatusCode.Unknown;
        detail = string.Empty;
        if (!headers.NonValidated.TryGetValues(GrpcProtocol.StatusTrailer, out var values))
            return false;
        foreach (var value in values)
        {
            status = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 0 and <= 16
                ? (StatusCode)code
                : StatusCode.Unknown;
            break;
        }
        if (status != StatusCode.OK && headers.NonValidated.TryGetValues(GrpcProtocol.MessageTrailer, out var messages))
        {
            foreach (var value in messages)
            {
                detail = GrpcProtocol.DecodeMessage(value);
                break;
            }
        }
        return true;
    }

    private RpcException Unavailable(Exception e)
    {
        var reason = e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message;
        return new RpcException(StatusCode.Unavailable, $"{Address}: {reason}", e);
    }
}
