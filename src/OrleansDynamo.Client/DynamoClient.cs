using System.Collections.Concurrent;
using OrleansDynamo.Client.Routing;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Client;

/// <summary>
/// The client of an OrleansDynamo cluster, on Microsoft.Orleans.Client. Thread-safe; share one per process. It
/// caches the ring and, in <see cref="CoordinationMode.Client"/> mode, sends each request straight to the first live
/// silo of the key's preference list (Dynamo §6.4), which coordinates it (in <see cref="CoordinationMode.ClientReads"/>
/// mode it coordinates gets itself, asking the replicas directly); a silo that cannot be reached is skipped for
/// a while and the next one tried. The ring is refreshed in the background and after a routing miss. Every request
/// is a call of the silo's <see cref="IDynamoApiService"/>, addressed by its gateway, through the client's one Orleans
/// client, except the calls addressed to one silo by the caller (status, ring, leave and repair given an
/// endpoint, and join), which go over that silo's gRPC client API. Silos are named by their gRPC address, as the ring
/// and the CLI name them: a silo whose gateway is not known yet is asked once, with one gRPC call, where it is. Given
/// an <see cref="IClusterClient"/> (the application's, from <c>UseOrleansClient</c>), the first ring is fetched through
/// it and no seed is needed.
/// </summary>
public sealed partial class DynamoClient : IAsyncDisposable, IDisposable
{
    // A routing miss refreshes the ring at most this often (the periodic refresh is RingRefreshInterval).
    private static readonly TimeSpan MinRefreshSpacing = TimeSpan.FromSeconds(1);
    // A silo that finished joining coordinates a share of the requests it heads growing from 0 to all over this long.
    private static readonly TimeSpan CoordinatorRampUp = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time;
    private readonly ConnectionSettings _connection;
    private readonly OrleansTransport _transport;
    private readonly IClusterClient? _cluster;
    private readonly ConcurrentDictionary<string, SiloEndpoint> _endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly RoutingState _seedState;
    private readonly string[] _seeds;
    private readonly CoordinationMode _coordination;
    private readonly bool _preferFastestForWrites;
    private readonly int _allReplicaReadsBelow;
    private readonly TimeSpan? _readSpeculationDelay;
    private readonly TimeSpan? _timeout;
    private readonly string? _apiKey;
    private readonly long _markDownTicks;
    private readonly long _minRefreshTicks;
    private readonly long _rampTicks;
    private readonly CancellationTokenSource _disposing = new();
    private readonly object _refreshLock = new();
    private readonly ITimer? _timer;
    private volatile RoutingState? _state;
    private Task<RoutingState>? _refresh;
    private long _lastRefreshStarted;
    private int _disposed;

    /// <summary>
    /// Creates a client without calling any silo: the ring is fetched on first use.
    /// <paramref name="timeProvider"/> drives mark-downs, the periodic refresh and read speculation (default: the system clock); request
    /// timeouts are cancellations on the system clock.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public DynamoClient(DynamoClientOptions options, TimeProvider? timeProvider = null)
        : this(options, null, timeProvider)
    {
    }

    /// <summary>
    /// Creates a client that fetches its first ring through <paramref name="cluster"/> (an Orleans client of the
    /// cluster, e.g. the application's from <c>UseOrleansClient</c>), so <see cref="DynamoClientOptions.Seeds"/> may be empty.
    /// Requests still go to each coordinator through a connection to its own gateway.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public DynamoClient(DynamoClientOptions options, IClusterClient? cluster, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(seedsRequired: cluster is null);
        _cluster = cluster;
        _time = timeProvider ?? TimeProvider.System;
        _coordination = options.Coordination;
        _preferFastestForWrites = options.PreferFastestReplicaForWrites;
        _allReplicaReadsBelow = options.AllReplicaReadsBelow;
        _readSpeculationDelay = options.ReadSpeculationDelay;
        _apiKey = options.ApiKey;
        _timeout = options.RequestTimeout == Timeout.InfiniteTimeSpan ? null : options.RequestTimeout;
        _markDownTicks = ToTimestampTicks(options.MarkDownDuration);
        _minRefreshTicks = ToTimestampTicks(MinRefreshSpacing);
        _rampTicks = ToTimestampTicks(CoordinatorRampUp);
        // The Orleans client's own response timeout only backs up the request timeout (a cancelled call).
        var responseTimeout = options.RequestTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromDays(1) : options.RequestTimeout + TimeSpan.FromSeconds(1);
        _connection = new ConnectionSettings(responseTimeout, options.ConnectTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.FromMinutes(1) : options.ConnectTimeout,
            options.MarkDownDuration, options.ClientCertificate, options.Authority);
        _transport = new OrleansTransport(_connection);

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

    /// <summary>Closes the Orleans client and every gRPC channel.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _disposing.Cancel();
        _timer?.Dispose();
        var closing = new List<Task>();
        foreach (var key in _endpoints.Keys)
        {
            if (_endpoints.TryRemove(key, out var endpoint)) closing.Add(endpoint.DisposeAsync().AsTask());
        }
        await Task.WhenAll(closing).ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
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

        DynamoException? last = null;
        var tried = candidates.ConvertAll(c => c.Address);
        if (current is null && _cluster is not null)
        {
            // The first ring through the application's Orleans client (whichever gateway it is connected to).
            tried.Insert(0, "the Orleans client's gateways");
            try
            {
                SetApiKey();
                var info = await _cluster.GetGrain<IDynamoApiGrain>(IDynamoApiGrain.Key).GetRing(new GetRingRequest(), cancellationToken).ConfigureAwait(false);
                return Install(ToRing(info, "the Orleans client's gateway"));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = e as DynamoException ?? CallErrors.Classify(e, "the Orleans client's gateway").Error;
                if (CallErrors.IsRefusal(last)) throw last;
            }
        }
        foreach (var endpoint in candidates)
        {
            RingInfo info;
            try
            {
                // A silo whose gateway is not known yet answers over gRPC, with the ring and its own gateway.
                info = endpoint.HasGateway
                    ? await CallAsync(endpoint, s_getRing, new GetRingRequest(), cancellationToken).ConfigureAwait(false)
                    : await BootstrapAsync(endpoint, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var failure = CallErrors.Classify(e, endpoint.Address);
                if (failure.MarkDown) MarkDown(endpoint, failure);
                if (CallErrors.IsRefusal(failure.Error)) throw failure.Error;
                last = failure.Error;
                continue;
            }
            endpoint.MarkUp();
            try
            {
                return Install(ToRing(info, endpoint.Address));
            }
            catch (DynamoException e)
            {
                last = e;
            }
        }

        string reason = last?.Message ?? "no silo address known";
        throw new DynamoException(DynamoErrorKind.Unavailable, $"could not fetch the ring from any silo ({string.Join(", ", tried)}): {reason}", last);
    }

    private static ClusterRing ToRing(RingInfo info, string from)
    {
        try
        {
            return WireMapping.ToRing(info);
        }
        catch (ArgumentException e)
        {
            throw new DynamoException(DynamoErrorKind.Internal, $"{from} sent a ring that does not fit together: {e.Message}", e) { Endpoint = from };
        }
    }

    /// <summary>
    /// Asks a silo known only by its gRPC address for the ring (one gRPC call): the answer names the silo's own
    /// gateway, which the client connects to from then on.
    /// </summary>
    private async Task<RingInfo> BootstrapAsync(SiloEndpoint endpoint, CancellationToken cancellationToken)
    {
        var info = await CallGrpcAsync(endpoint, s_grpcGetRing, new GetRingRequest(), cancellationToken).ConfigureAwait(false);
        if (info.AnsweredByGateway.Length == 0)
            throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"{endpoint.Address} did not say where its Orleans gateway is (a silo older than this client)")
                { Endpoint = endpoint.Address };
        endpoint.SetGateway(info.AnsweredByGateway, info.ClusterName);
        foreach (var silo in info.Silos)
        {
            if (silo.GrpcAddress.Length > 0 && DynamoClientOptions.CheckAddress(silo.GrpcAddress) is null)
                EndpointFor(silo.GrpcAddress).SetGateway(silo.GatewayAddress, info.ClusterName);
        }
        return info;
    }

    /// <summary>
    /// One call to one silo over its gRPC client API, within the request timeout (or <paramref name="atLeast"/> when that
    /// is longer) and with the API key in its header.
    /// Throws what the call failed with (for <see cref="CallErrors.Classify"/>); <see cref="OperationCanceledException"/>
    /// when <paramref name="cancellationToken"/> fires.
    /// </summary>
    private async Task<TResponse> CallGrpcAsync<TRequest, TResponse>(SiloEndpoint endpoint, GrpcMethod<TRequest, TResponse> method, TRequest request,
        CancellationToken cancellationToken, TimeSpan? atLeast = null)
    {
        var headers = _apiKey is null ? null : new Grpc.Core.Metadata { { ApiKeys.Header, ApiKeys.Bearer(_apiKey) } };
        var timeout = _timeout is { } t && atLeast is { } least && least > t ? least : _timeout;
        var options = new Grpc.Core.CallOptions(headers, deadline: timeout is { } limit ? DateTime.UtcNow + limit : null, cancellationToken: cancellationToken);
        try
        {
            return await method(endpoint.Grpc(), request, options).ResponseAsync.ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The call was canceled by the caller.", e, cancellationToken);
        }
    }

    private void MarkDown(SiloEndpoint endpoint, CallFailure failure)
    {
        endpoint.MarkDown(_time.GetTimestamp() + _markDownTicks);
        // The silo could not be reached, and Orleans may have taken its gateway off its live list until its next take:
        // the next call to the silo waits until it is listed again, however short the mark-down.
        if (failure.Action == FailureAction.MarkDownAndRetry && endpoint.GatewayEndpoint is { } gateway)
        {
            endpoint.ForgetApi();
            _transport.Unlist(gateway);
        }
    }

    /// <summary>Swaps in a routing state for <paramref name="ring"/> unless a newer ring is cached already.</summary>
    private RoutingState Install(ClusterRing ring)
    {
        var endpoints = new SiloEndpoint[ring.Silos.Count];
        var gateways = new List<System.Net.IPEndPoint>(endpoints.Length);
        for (int i = 0; i < endpoints.Length; i++)
        {
            endpoints[i] = EndpointFor(ring.Silos[i].Address);
            endpoints[i].SetGateway(ring.Silos[i].GatewayAddress, ring.ClusterName);
            if (endpoints[i].GatewayEndpoint is { } gateway) gateways.Add(gateway);
        }
        var next = new RoutingState(ring, endpoints, _rampTicks);
        while (true)
        {
            var current = _state;
            if (current?.Ring is { } cached && cached.Version > ring.Version) return current;
            if (Interlocked.CompareExchange(ref _state, next, current) == current) break;
        }
        _transport.Retain(gateways);
        long now = _time.GetTimestamp();
        for (int i = 0; i < endpoints.Length; i++) endpoints[i].NoteJoining(ring.Silos[i].IsJoining, now);
        return next;
    }

    /// <summary>The silos this client has an Orleans connection to (open or opening), by gRPC address.</summary>
    internal IReadOnlyList<string> ConnectedSilos => _endpoints.Values.Where(e => e.Connected).Select(e => e.Address).ToList();

    /// <summary>How many Orleans clients this client has built: one for the whole cluster, unless a start failed.</summary>
    internal int OrleansClientsBuilt => _transport.ClientsBuilt;

    private SiloEndpoint EndpointFor(string address)
    {
        address = SiloEndpoint.Normalize(address);
        if (_endpoints.TryGetValue(address, out var existing)) return existing;
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _endpoints.GetOrAdd(address, static (a, client) => new SiloEndpoint(a, client._connection, client._transport), this);
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
        if (_coordination != CoordinationMode.Server && state.Ring is { } ring)
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

    /// <summary>One method of the silo's client API grain.</summary>
    private delegate Task<TResponse> Method<TRequest, TResponse>(IDynamoApi api, TRequest request, CancellationToken cancellationToken);

    private static readonly Method<GetRequest, GetResponse> s_get = static (a, r, c) => a.Get(r, c);
    private static readonly Method<PutRequest, PutResponse> s_put = static (a, r, c) => a.Put(r, c);
    private static readonly Method<DeleteRequest, PutResponse> s_delete = static (a, r, c) => a.Delete(r, c);
    private static readonly Method<GetRingRequest, RingInfo> s_getRing = static (a, r, c) => a.GetRing(r, c);
    private static readonly Method<StatusRequest, StatusResponse> s_getStatus = static (a, r, c) => a.GetStatus(r, c);
    private static readonly Method<CreateBucketRequest, BucketInfo> s_createBucket = static (a, r, c) => a.CreateBucket(r, c);
    private static readonly Method<GetReplicasRequest, GetReplicasResponse> s_getReplicas = static (a, r, c) => a.GetReplicas(r, c);
    private static readonly Method<LeaveRequest, AdminResponse> s_leave = static (a, r, c) => a.Leave(r, c);
    private static readonly Method<RepairRequest, AdminResponse> s_repair = static (a, r, c) => a.Repair(r, c);

    /// <summary>One method of the silo's gRPC client API.</summary>
    private delegate Grpc.Core.AsyncUnaryCall<TResponse> GrpcMethod<TRequest, TResponse>(Dynamo.DynamoClient client, TRequest request, Grpc.Core.CallOptions options);

    private static readonly GrpcMethod<GetRingRequest, RingInfo> s_grpcGetRing = static (c, r, o) => c.GetRingAsync(r, o);
    private static readonly GrpcMethod<StatusRequest, StatusResponse> s_grpcGetStatus = static (c, r, o) => c.GetStatusAsync(r, o);
    private static readonly GrpcMethod<JoinRequest, AdminResponse> s_grpcJoin = static (c, r, o) => c.JoinAsync(r, o);
    private static readonly GrpcMethod<LeaveRequest, AdminResponse> s_grpcLeave = static (c, r, o) => c.LeaveAsync(r, o);
    private static readonly GrpcMethod<RepairRequest, AdminResponse> s_grpcRepair = static (c, r, o) => c.RepairAsync(r, o);

    /// <summary>
    /// One call to one silo, through its gateway connection, within the request timeout. Throws what the call
    /// failed with (for <see cref="CallErrors.Classify"/>): the silo's <see cref="DynamoException"/>, a
    /// <see cref="TimeoutException"/>, a transport failure; <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    private async Task<TResponse> CallAsync<TRequest, TResponse>(SiloEndpoint endpoint, Method<TRequest, TResponse> method, TRequest request,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_timeout is { } timeout) deadline.CancelAfter(timeout);
        try
        {
            if (!endpoint.HasGateway) await BootstrapAsync(endpoint, deadline.Token).ConfigureAwait(false);
            IDynamoApi api;
            try
            {
                api = await endpoint.ApiAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not DynamoException)
            {
                throw new GatewayUnreachableException($"could not connect to its gateway: {e.Message}", e);
            }
            SetApiKey();
            return await method(api, request, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CallTimeoutException();
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Cancelled && !cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new CallTimeoutException();
        }
    }

    /// <summary>
    /// Puts the API key into the Orleans request context of the grain calls this async flow makes next (the caller's
    /// own context is left as it was when the calling async method returns).
    /// </summary>
    private void SetApiKey()
    {
        if (_apiKey is not null) RequestContext.Set(ApiKeys.RequestContextKey, _apiKey);
    }

    /// <summary>Sends a request any silo can answer, starting at a random one.</summary>
    private Task<(TResponse Response, string Silo)> SendAnyAsync<TRequest, TResponse>(
        Method<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken) =>
        SendAsync(AnyState, 0, 0, Random.Shared.Next(), method, request, cancellationToken);

    /// <summary>
    /// Sends a request to one given silo address, without trying others, over the silo's gRPC client API: status, ring,
    /// join, leave and repair addressed to one silo (what the CLI sends, once each) open no Orleans client, whose start
    /// costs far more than the call.
    /// </summary>
    private async Task<TResponse> SendToAsync<TRequest, TResponse>(
        string address, GrpcMethod<TRequest, TResponse> method, TRequest request, CancellationToken cancellationToken, TimeSpan? atLeast = null)
    {
        if (DynamoClientOptions.CheckAddress(address) is { } bad) throw DynamoException.Invalid(bad);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var endpoint = EndpointFor(address);
        try
        {
            var response = await CallGrpcAsync(endpoint, method, request, cancellationToken, atLeast).ConfigureAwait(false);
            endpoint.MarkUp();
            return response;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var failure = CallErrors.Classify(e, endpoint.Address);
            if (failure.MarkDown) MarkDown(endpoint, failure);
            throw failure.Error;
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
        DynamoException? last = null;
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
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var failure = CallErrors.Classify(e, endpoint.Address);
                // A timeout marks the silo down too (too slow to coordinate: the next requests start elsewhere),
                // but this request is not sent again: the deadline is the caller's.
                if (failure.MarkDown) MarkDown(endpoint, failure);
                if (failure.Action == FailureAction.Throw) throw failure.Error;
                if (state.Ring is not null) RequestRefresh();
                tried ??= new bool[state.Endpoints.Length];
                tried[index] = true;
                last = failure.Error;
            }
        }
        if (last is null)
            throw new DynamoException(DynamoErrorKind.Unavailable, "no silo address known");
        throw new DynamoException(DynamoErrorKind.Unavailable, last.Message, last) { Endpoint = last.Endpoint };
    }
}
