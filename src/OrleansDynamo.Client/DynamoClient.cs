using System.Collections.Concurrent;
using Grpc.Core;
using OrleansDynamo.Client.Routing;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client;

/// <summary>
/// The client of an OrleansDynamo cluster. Thread-safe; share one per process. It caches the ring and,
/// in <see cref="CoordinationMode.Client"/> mode, sends each request straight to a silo in the key's
/// preference list (Dynamo §6.4); a silo that cannot be reached is skipped for a while and the next
/// one tried. The ring is refreshed in the background and after a routing miss. Calls go through the generated
/// gRPC client of <c>orleansdynamo.v1.Dynamo</c> (Grpc.Net.Client), one channel per silo address.
/// </summary>
public sealed partial class DynamoClient : IAsyncDisposable, IDisposable
{
    // A routing miss refreshes the ring at most this often (the periodic refresh is RingRefreshInterval).
    private static readonly TimeSpan MinRefreshSpacing = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly TimeSpan _connectTimeout;
    private readonly TimeSpan _markDown;
    private readonly ConcurrentDictionary<string, SiloEndpoint> _endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly RoutingState _seedState;
    private readonly string[] _seeds;
    private readonly CoordinationMode _coordination;
    private readonly bool _preferFastestForWrites;
    private readonly TimeSpan? _timeout;
    private readonly long _markDownTicks;
    private readonly long _minRefreshTicks;
    private readonly CancellationTokenSource _disposing = new();
    private readonly object _refreshLock = new();
    private readonly ITimer? _timer;
    private volatile RoutingState? _state;
    private Task<RoutingState>? _refresh;
    private long _lastRefreshStarted;
    private int _disposed;

    /// <summary>
    /// Creates a client without calling any silo: the ring is fetched on first use.
    /// <paramref name="timeProvider"/> drives mark-downs and the periodic refresh (default: the system clock); request
    /// timeouts are gRPC deadlines, which Grpc.Net.Client keeps on the system clock.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public DynamoClient(DynamoClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _coordination = options.Coordination;
        _preferFastestForWrites = options.PreferFastestReplicaForWrites;
        _timeout = options.RequestTimeout == Timeout.InfiniteTimeSpan ? null : options.RequestTimeout;
        _markDownTicks = ToTimestampTicks(options.MarkDownDuration);
        _minRefreshTicks = ToTimestampTicks(MinRefreshSpacing);
        _connectTimeout = options.ConnectTimeout;
        _markDown = options.MarkDownDuration;

        var seeds = new List<string>(options.Seeds.Count);
        var seedEndpoints = new List<SiloEndpoint>(options.Seeds.Count);
        foreach (var seed in options.Seeds)
        {
            var address = SiloEndpoint.Normalize(seed);
            if (seeds.Contains(address, StringComparer.OrdinalIgnoreCase)) continue;
            seeds.Add(address);
            seedEndpoints.Add(EndpointFor(address));
        }
        _seeds = seeds.ToArray();
        _seedState = new RoutingState(null, seedEndpoints.ToArray());

        if (options.RingRefreshInterval != Timeout.InfiniteTimeSpan)
        {
            _timer = _time.CreateTimer(
                static s => ((DynamoClient)s!).OnRefreshTimer(),
                this,
                options.RingRefreshInterval,
                options.RingRefreshInterval);
        }
    }

    /// <summary>Creates a client and fetches the ring from the first seed that answers.</summary>
    /// <exception cref="DynamoException">No seed answered (<see cref="DynamoErrorKind.Unavailable"/>).</exception>
    public static Task<DynamoClient> ConnectAsync(DynamoClientOptions options, CancellationToken cancellationToken = default) =>
        ConnectAsync(options, TimeProvider.System, cancellationToken);

    /// <summary>Creates a client on <paramref name="timeProvider"/> and fetches the ring from the first seed that answers.</summary>
    public static async Task<DynamoClient> ConnectAsync(DynamoClientOptions options, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        var client = new DynamoClient(options, timeProvider);
        try
        {
            await client.RefreshRingAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The cached ring, or null before the first one arrived.</summary>
    public ClusterRing? CurrentRing => _state?.Ring;

    /// <summary>The seed addresses, normalized.</summary>
    public IReadOnlyList<string> Seeds => _seeds;

    /// <summary>Fetches the ring now (from a known silo or a seed) and caches it.</summary>
    public async Task<ClusterRing> RefreshRingAsync(CancellationToken cancellationToken = default)
    {
        var state = await StartRefresh().WaitAsync(cancellationToken).ConfigureAwait(false);
        return state.Ring!;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        _disposing.Cancel();
        _timer?.Dispose();
        foreach (var key in _endpoints.Keys)
        {
            if (_endpoints.TryRemove(key, out var endpoint)) endpoint.Dispose();
        }
        return ValueTask.CompletedTask;
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // ---- ring cache ----

    private ValueTask<RoutingState> GetRoutedStateAsync(CancellationToken cancellationToken)
    {
        var state = _state;
        return state is not null ? new ValueTask<RoutingState>(state) : new ValueTask<RoutingState>(StartRefresh().WaitAsync(cancellationToken));
    }

    /// <summary>The ring-based view when there is one, else the seeds.</summary>
    private RoutingState AnyState => _state ?? _seedState;

    private void OnRefreshTimer() => TryRefreshInBackground();

    /// <summary>After a routing miss: refresh in the background, at most once per <see cref="MinRefreshSpacing"/>.</summary>
    private void RequestRefresh()
    {
        if (_time.GetTimestamp() - Volatile.Read(ref _lastRefreshStarted) < _minRefreshTicks) return;
        TryRefreshInBackground();
    }

    /// <summary>Starts a refresh whose failure is only observed (the next request or tick tries again).</summary>
    private void TryRefreshInBackground()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            Observe(StartRefresh());
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile.
        }
    }

    /// <summary>Starts a ring fetch unless one is under way (single flight) and returns it.</summary>
    private Task<RoutingState> StartRefresh()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_refreshLock)
        {
            if (_refresh is { IsCompleted: false } running) return running;
            Volatile.Write(ref _lastRefreshStarted, _time.GetTimestamp());
            return _refresh = FetchRingAsync(_disposing.Token);
        }
    }

    private async Task<RoutingState> FetchRingAsync(CancellationToken cancellationToken)
    {
        // Known silos first (they know the newest ring), then the seeds.
        var current = _state;
        var candidates = new List<SiloEndpoint>();
        long now = _time.GetTimestamp();
        if (current is not null)
        {
            foreach (var endpoint in current.Endpoints)
                if (!endpoint.IsDown(now)) candidates.Add(endpoint);
        }
        foreach (var endpoint in _seedState.Endpoints)
            if (!candidates.Contains(endpoint)) candidates.Add(endpoint);
        if (current is not null)
        {
            foreach (var endpoint in current.Endpoints)
                if (!candidates.Contains(endpoint)) candidates.Add(endpoint);
        }

        Exception? last = null;
        string? lastDetail = null;
        foreach (var endpoint in candidates)
        {
            RingInfo info;
            try
            {
                info = await CallAsync(endpoint, s_getRing, new GetRingRequest(), cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                if (RpcErrors.Classify(e) == FailureAction.MarkDownAndRetry) endpoint.MarkDown(_time.GetTimestamp() + _markDownTicks);
                last = e;
                lastDetail = RpcErrors.Detail(e, endpoint.Address);
                continue;
            }
            endpoint.MarkUp();
            ClusterRing ring;
            try
            {
                ring = WireMapping.ToRing(info);
            }
            catch (ArgumentException e)
            {
                last = new DynamoException(DynamoErrorKind.Internal, $"{endpoint.Address} sent a ring that does not fit together: {e.Message}", e);
                continue;
            }
            return Install(ring);
        }

        string tried = string.Join(", ", candidates.ConvertAll(c => c.Address));
        string reason = last switch
        {
            RpcException r => string.IsNullOrEmpty(lastDetail) ? r.StatusCode.ToString() : lastDetail,
            null => "no silo address known",
            _ => last.Message,
        };
        throw new DynamoException(DynamoErrorKind.Unavailable, $"could not fetch the ring from any silo ({tried}): {reason}", last);
    }

    /// <summary>Swaps in a routing state for <paramref name="ring"/> unless a newer ring is cached already.</summary>
    private RoutingState Install(ClusterRing ring)
    {
        var endpoints = new SiloEndpoint[ring.Silos.Count];
        for (int i = 0; i < endpoints.Length; i++) endpoints[i] = EndpointFor(ring.Silos[i].Address);
        var next = new RoutingState(ring, endpoints);
        while (true)
        {
            var current = _state;
            if (current?.Ring is { } cached && cached.Version > ring.Version) return current;
            if (Interlocked.CompareExchange(ref _state, next, current) == current) return next;
        }
    }

    private SiloEndpoint EndpointFor(string address)
    {
        address = SiloEndpoint.Normalize(address);
        if (_endpoints.TryGetValue(address, out var existing)) return existing;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var created = new SiloEndpoint(address, SiloChannels.Create(address, _connectTimeout, _markDown));
        var endpoint = _endpoints.GetOrAdd(address, created);
        if (!ReferenceEquals(endpoint, created)) created.Dispose();
        return endpoint;
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static void Observe(Task task)
    {
        if (task.IsCompleted)
        {
            _ = task.Exception;
            return;
        }
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // ---- sending ----

    /// <summary>
    /// Where a request about one key goes first: in client mode the key's partition and its bucket's N
    /// (the preference list), in server mode a random silo.
    /// </summary>
    private void Route(RoutingState state, string bucket, string key, out int partition, out int n, out int start)
    {
        if (_coordination == CoordinationMode.Client && state.Ring is { } ring)
        {
            partition = ring.PartitionOf(bucket, key);
            n = ring.ReplicationFactor(bucket);
            start = partition;
        }
        else
        {
            partition = 0;
            n = 0;
            start = Random.Shared.Next();
        }
    }

    /// <summary>One method of the generated client: starts the call.</summary>
    private delegate AsyncUnaryCall<TResponse> Method<TRequest, TResponse>(Dynamo.DynamoClient stub, TRequest request, CallOptions options);

    private static readonly Method<GetRequest, GetResponse> s_get = static (s, r, o) => s.GetAsync(r, o);
    private static readonly Method<PutRequest, PutResponse> s_put = static (s, r, o) => s.PutAsync(r, o);
    private static readonly Method<DeleteRequest, PutResponse> s_delete = static (s, r, o) => s.DeleteAsync(r, o);
    private static readonly Method<GetRingRequest, RingInfo> s_getRing = static (s, r, o) => s.GetRingAsync(r, o);
    private static readonly Method<StatusRequest, StatusResponse> s_getStatus = static (s, r, o) => s.GetStatusAsync(r, o);
    private static readonly Method<CreateBucketRequest, BucketInfo> s_createBucket = static (s, r, o) => s.CreateBucketAsync(r, o);
    private static readonly Method<GetReplicasRequest, GetReplicasResponse> s_getReplicas = static (s, r, o) => s.GetReplicasAsync(r, o);
    private static readonly Method<JoinRequest, AdminResponse> s_join = static (s, r, o) => s.JoinAsync(r, o);
    private static readonly Method<LeaveRequest, AdminResponse> s_leave = static (s, r, o) => s.LeaveAsync(r, o);
    private static readonly Method<RepairRequest, AdminResponse> s_repair = static (s, r, o) => s.RepairAsync(r, o);

    /// <summary>
    /// One call to one silo with the request timeout as its deadline. Throws <see cref="RpcException"/> for a non-OK
    /// status and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    private async Task<TResponse> CallAsync<TRequest, TResponse>(SiloEndpoint endpoint, Method<TRequest, TResponse> method, TRequest request,
        CancellationToken cancellationToken)
    {
        var options = new CallOptions(deadline: _timeout is { } t ? DateTime.UtcNow + t : null, cancellationToken: cancellationToken);
        try
        {
            using var call = method(endpoint.Stub, request, options);
            return await call.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The call was canceled by the caller.", e, cancellationToken);
        }
    }

    /// <summary>Sends a request any silo can answer, starting at a random one.</summary>
    private Task<(TResponse Response, string Silo)> SendAnyAsync<TRequest, TResponse>(
        Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken) =>
        SendAsync(AnyState, 0, 0, Random.Shared.Next(), method, request, cancellationToken);

    /// <summary>Sends a request to one given silo address, without trying others.</summary>
    private async Task<TResponse> SendToAsync<TRequest, TResponse>(
        string address, Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken)
    {
        if (DynamoClientOptions.CheckAddress(address) is { } bad) throw DynamoException.Invalid(bad);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var endpoint = EndpointFor(address);
        try
        {
            var response = await CallAsync(endpoint, method, request, cancellationToken).ConfigureAwait(false);
            endpoint.MarkUp();
            return response;
        }
        catch (RpcException e)
        {
            if (RpcErrors.Classify(e) == FailureAction.MarkDownAndRetry) endpoint.MarkDown(_time.GetTimestamp() + _markDownTicks);
            throw RpcErrors.ToException(e, endpoint.Address);
        }
    }

    /// <summary>
    /// Sends to the silo <see cref="RoutingState.PickCandidate"/> names; after a failure another silo might
    /// not have, to the next one. Returns the response and the name of the silo that answered.
    /// </summary>
    private async Task<(TResponse Response, string Silo)> SendAsync<TRequest, TResponse>(
        RoutingState state, int partition, int n, int start,
        Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken, int preferred = -1)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        bool[]? tried = null;
        RpcException? last = null;
        string? lastAddress = null;
        while (true)
        {
            long now = _time.GetTimestamp();
            int index = state.PickCandidate(partition, n, start, tried, now, preferred);
            if (index < 0) break;
            var endpoint = state.Endpoints[index];
            try
            {
                var response = await CallAsync(endpoint, method, request, cancellationToken).ConfigureAwait(false);
                endpoint.MarkUp();
                return (response, state.NameOf(index));
            }
            catch (RpcException e)
            {
                var action = RpcErrors.Classify(e);
                if (e.StatusCode == StatusCode.DeadlineExceeded)
                {
                    // Too slow to coordinate: let the next requests start elsewhere, but do not resend
                    // this one (the deadline is the caller's).
                    endpoint.MarkDown(_time.GetTimestamp() + _markDownTicks);
                }
                if (action == FailureAction.Throw) throw RpcErrors.ToException(e, endpoint.Address);
                if (action == FailureAction.MarkDownAndRetry)
                {
                    endpoint.MarkDown(_time.GetTimestamp() + _markDownTicks);
                    if (state.Ring is not null) RequestRefresh();
                }
                tried ??= new bool[state.Endpoints.Length];
                tried[index] = true;
                last = e;
                lastAddress = endpoint.Address;
            }
        }
        if (last is null)
            throw new DynamoException(DynamoErrorKind.Unavailable, "no silo address known");
        string detail = RpcErrors.Detail(last, lastAddress!);
        if (string.IsNullOrEmpty(detail)) detail = $"{lastAddress}: {last.StatusCode}";
        throw new DynamoException(DynamoErrorKind.Unavailable, detail, last) { Endpoint = lastAddress };
    }
}
