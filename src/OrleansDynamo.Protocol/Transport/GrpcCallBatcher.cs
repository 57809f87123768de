using Google.Protobuf;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol;

/// <summary>Names and limits shared by the client and the server side of batching.</summary>
public static class GrpcBatching
{
    /// <summary>The method that carries a batch: <c>/{service}/Batch</c>.</summary>
    public const string MethodName = "Batch";

    /// <summary>Per-call timeouts above 30 days are treated as none.</summary>
    public const ulong MaxTimeoutMicros = 30UL * 24 * 3600 * 1_000_000;
}

/// <summary>How calls travelled: <paramref name="BatchedCalls"/> of <paramref name="Calls"/> went inside <paramref name="Batches"/> batch requests.</summary>
public readonly record struct GrpcBatchingStats(long Calls, long Batches, long BatchedCalls)
{
    /// <summary>The sum of two counts.</summary>
    public static GrpcBatchingStats operator +(GrpcBatchingStats a, GrpcBatchingStats b) =>
        new(a.Calls + b.Calls, a.Batches + b.Batches, a.BatchedCalls + b.BatchedCalls);
}

/// <summary>When a <see cref="GrpcCallBatcher"/> sends calls alone and when it combines them.</summary>
public sealed class GrpcBatchingOptions
{
    /// <summary>
    /// HTTP/2 requests (single calls or batches) in flight to the address before further calls wait and leave
    /// together as one batch when one of those requests finishes. Default 4: an idle caller never waits, and under
    /// load the calls that pile up behind four requests share one.
    /// </summary>
    public int MaxRequestsInFlight { get; set; } = 4;

    /// <summary>Most calls in one batch. Default 256.</summary>
    public int MaxCallsPerBatch { get; set; } = 256;

    /// <summary>A batch stops growing at this many request bytes (a single larger call still goes alone). Default 1 MiB.</summary>
    public int MaxBatchBytes { get; set; } = 1 << 20;

    /// <summary>Throws when a setting is out of range, naming the field.</summary>
    public void Validate()
    {
        if (MaxRequestsInFlight < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestsInFlight), MaxRequestsInFlight, "must be at least 1");
        if (MaxCallsPerBatch < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxCallsPerBatch), MaxCallsPerBatch, "must be at least 1");
        if (MaxBatchBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxBatchBytes), MaxBatchBytes, "must be at least 1");
    }
}

/// <summary>
/// Unary calls to one service at one address, combined into <c>/{service}/Batch</c> requests under load (Nagle
/// without the delay): while fewer than <see cref="GrpcBatchingOptions.MaxRequestsInFlight"/> requests are out, a
/// call is sent at once as a plain unary call; otherwise it queues, and the next request to finish takes the whole
/// queue with it as one batch. Each call keeps its own deadline and cancellation and gets its own status. A server
/// that answers the batch method with UNIMPLEMENTED (an older build) is remembered and sent plain calls from then on.
/// Thread-safe; get one from <see cref="GrpcConnection.Batcher"/>.
/// </summary>
public sealed class GrpcCallBatcher
{
    private readonly GrpcConnection _connection;
    private readonly GrpcBatchingOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<Pending> _queue = new();
    private int _inFlight;
    private volatile bool _unsupported;
    private long _calls;
    private long _batches;
    private long _batchedCalls;

    internal GrpcCallBatcher(GrpcConnection connection, string service, GrpcBatchingOptions options, TimeProvider time)
    {
        _connection = connection;
        Service = service;
        _options = options;
        _time = time;
    }

    /// <summary>The service whose methods this batcher calls, e.g. <c>orleansdynamo.v1.Silo</c>.</summary>
    public string Service { get; }

    /// <summary>The three counters below, read together.</summary>
    public GrpcBatchingStats Stats => new(Calls, Batches, BatchedCalls);

    /// <summary>Calls made through this batcher.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Batch requests sent.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Calls that travelled inside a batch rather than alone.</summary>
    public long BatchedCalls => Interlocked.Read(ref _batchedCalls);

    /// <summary>
    /// Calls <c>/{Service}/{method}</c> like <see cref="GrpcConnection.UnaryAsync{TRequest,TResponse}"/>, alone or in a
    /// batch: same exceptions, same deadline semantics.
    /// </summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(parser);
        Interlocked.Increment(ref _calls);
        if (_unsupported)
            return await _connection.UnaryAsync(Service, method, request, parser, timeout, cancellationToken).ConfigureAwait(false);
        if (timeout is { } t && t <= TimeSpan.Zero)
            throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded");

        Pending? pending = null;
        lock (_gate)
        {
            if (_inFlight < _options.MaxRequestsInFlight)
                _inFlight++;
            else
                _queue.Enqueue(pending = new Pending<TRequest, TResponse>(method, request, parser,
                    timeout is { } d ? _time.GetTimestamp() + ToTimestampTicks(d) : long.MaxValue));
        }

        if (pending is null)
        {
            try
            {
                return await _connection.UnaryAsync(Service, method, request, parser, timeout, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                RequestFinished();
            }
        }

        BatchReply reply;
        try
        {
            var task = pending.Reply.Task;
            reply = timeout is { } wait
                ? await task.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false)
                : await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            pending.Abandon();
            throw new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        catch (OperationCanceledException)
        {
            pending.Abandon();
            throw;
        }
        if (reply.Status != (uint)StatusCode.OK)
            throw new RpcException(reply.Status <= 16 ? (StatusCode)reply.Status : StatusCode.Unknown, reply.Detail);
        try
        {
            return parser.ParseFrom(reply.Message);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, "Failed to deserialize response message: " + e.Message, e);
        }
    }

    /// <summary>A request finished: the queue leaves as the next batch, or the slot is given back.</summary>
    private void RequestFinished()
    {
        List<Pending>? batch = null;
        lock (_gate)
        {
            var bytes = 0;
            while (_queue.TryPeek(out var next) && (batch is null || (batch.Count < _options.MaxCallsPerBatch && bytes + next.Size <= _options.MaxBatchBytes)))
            {
                _queue.Dequeue();
                if (next.Abandoned) continue;
                (batch ??= []).Add(next);
                bytes += next.Size;
            }
            if (batch is null) _inFlight--;
        }
        if (batch is not null)
            _ = SendBatchAsync(batch);
    }

    private async Task SendBatchAsync(List<Pending> batch)
    {
        try
        {
            if (_unsupported)
            {
                await SendAloneAsync(batch).ConfigureAwait(false);
                return;
            }
            var now = _time.GetTimestamp();
            var request = new BatchRequest();
            var sent = new List<Pending>(batch.Count);
            var latest = 0L;
            foreach (var p in batch)
            {
                var remaining = p.Deadline == long.MaxValue ? long.MaxValue : p.Deadline - now;
                if (remaining <= 0)
                {
                    p.Reply.TrySetResult(new BatchReply { Status = (uint)StatusCode.DeadlineExceeded, Detail = "Deadline Exceeded" });
                    continue;
                }
                var micros = remaining == long.MaxValue ? 0UL : (ulong)Math.Max(1, remaining * 1_000_000 / _time.TimestampFrequency);
                request.Calls.Add(new BatchCall { Method = p.Method, Message = p.Request.ToByteString(), TimeoutMicros = micros });
                sent.Add(p);
                latest = Math.Max(latest, remaining);
            }
            if (sent.Count == 0) return;
            Interlocked.Increment(ref _batches);
            Interlocked.Add(ref _batchedCalls, sent.Count);
            TimeSpan? timeout = latest == long.MaxValue ? null : TimeSpan.FromSeconds((double)latest / _time.TimestampFrequency);
            try
            {
                var response = await _connection.UnaryAsync(Service, GrpcBatching.MethodName, request, BatchResponse.Parser, timeout).ConfigureAwait(false);
                if (response.Replies.Count != sent.Count)
                {
                    Fail(sent, new BatchReply { Status = (uint)StatusCode.Internal, Detail = $"Batch answered {response.Replies.Count} of {sent.Count} calls." });
                    return;
                }
                for (var i = 0; i < sent.Count; i++)
                    sent[i].Reply.TrySetResult(response.Replies[i]);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
            {
                _unsupported = true;
                await SendAloneAsync(sent).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                Fail(sent, new BatchReply { Status = (uint)e.StatusCode, Detail = e.Detail });
            }
        }
        catch (Exception e)
        {
            Fail(batch, new BatchReply { Status = (uint)StatusCode.Internal, Detail = e.GetType().Name + ": " + e.Message });
        }
        finally
        {
            RequestFinished();
        }
    }

    /// <summary>For a server without the batch method: each call as a plain unary call, the answers kept raw.</summary>
    private async Task SendAloneAsync(List<Pending> calls)
    {
        var now = _time.GetTimestamp();
        await Task.WhenAll(calls.Select(async p =>
        {
            try
            {
                TimeSpan? timeout = p.Deadline == long.MaxValue ? null : TimeSpan.FromSeconds((double)Math.Max(0, p.Deadline - now) / _time.TimestampFrequency);
                p.Reply.TrySetResult(new BatchReply { Message = await p.SendAloneAsync(_connection, Service, timeout).ConfigureAwait(false) });
            }
            catch (RpcException e)
            {
                p.Reply.TrySetResult(new BatchReply { Status = (uint)e.StatusCode, Detail = e.Detail });
            }
        })).ConfigureAwait(false);
    }

    private static void Fail(IEnumerable<Pending> calls, BatchReply reply)
    {
        foreach (var p in calls) p.Reply.TrySetResult(reply);
    }

    /// <summary><paramref name="span"/> on the timestamp clock, capped far below overflow (a timeout of years is none).</summary>
    private long ToTimestampTicks(TimeSpan span) => (long)Math.Min(span.TotalSeconds * _time.TimestampFrequency, long.MaxValue / 4);

    private sealed class Pending<TRequest, TResponse>(string method, TRequest request, MessageParser<TResponse> parser, long deadline)
        : Pending(method, request, deadline)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        public override async Task<ByteString> SendAloneAsync(GrpcConnection connection, string service, TimeSpan? timeout) =>
            (await connection.UnaryAsync(service, Method, request, parser, timeout).ConfigureAwait(false)).ToByteString();
    }

    private abstract class Pending(string method, IMessage request, long deadline)
    {
        private volatile bool _abandoned;

        public string Method { get; } = method;

        public IMessage Request { get; } = request;

        /// <summary>The call's deadline on the batcher's timestamp clock; <see cref="long.MaxValue"/> for none.</summary>
        public long Deadline { get; } = deadline;

        public int Size { get; } = request.CalculateSize() + method.Length + 16;

        public TaskCompletionSource<BatchReply> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The caller gave up (timeout or cancellation); the call is not sent.</summary>
        public bool Abandoned => _abandoned;

        public void Abandon() => _abandoned = true;

        /// <summary>Sends the call as a plain unary call and returns the serialized response.</summary>
        public abstract Task<ByteString> SendAloneAsync(GrpcConnection connection, string service, TimeSpan? timeout);
    }
}
