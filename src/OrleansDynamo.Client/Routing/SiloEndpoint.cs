using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client.Routing;

/// <summary>
/// One silo as this client sees it, known by its gRPC address: where its Orleans gateway is (from the ring, or asked
/// of the silo once over gRPC), its client API through the client's one Orleans client (<see cref="OrleansTransport"/>,
/// looked up on first use), and whether it was recently unreachable (judged locally from failed calls; shared by every
/// ring snapshot that lists the address).
/// </summary>
internal sealed class SiloEndpoint(string address, ConnectionSettings settings, OrleansTransport transport) : IAsyncDisposable
{
    // Beyond the connect timeout, how long finding the silo's API may take (the Orleans client's start, its gateway list).
    private static readonly TimeSpan OpenMargin = TimeSpan.FromSeconds(2);

    private readonly object _lock = new();
    // TimeProvider timestamp until which the silo is skipped; 0 when it is not marked down.
    private long _downUntil;
    private bool _joining;
    private long _rampStart;
    private (string Gateway, string ClusterId)? _gateway;
    private Task<IDynamoApi>? _opening;
    private IDynamoApi? _api;
    private IPEndPoint? _gatewayEndpoint;
    private GrpcChannel? _channel;
    private bool _disposed;

    /// <summary>The silo's gRPC address (its identity in the ring).</summary>
    public string Address { get; } = address;

    /// <summary>True once the silo's gateway and cluster are known.</summary>
    public bool HasGateway
    {
        get
        {
            lock (_lock) return _gateway is not null;
        }
    }

    /// <summary>The gateway's IP endpoint, once known: at once for a literal address, else once resolved for a call.</summary>
    public IPEndPoint? GatewayEndpoint
    {
        get
        {
            lock (_lock) return _gatewayEndpoint;
        }
    }

    /// <summary>True once a call went, or is going, to the silo through the Orleans client.</summary>
    public bool Connected
    {
        get
        {
            lock (_lock) return _api is not null || _opening is { IsFaulted: false, IsCanceled: false };
        }
    }

    /// <summary>
    /// Records where the silo's gateway is (from a ring), and gives a literal address to the Orleans client's gateway list
    /// at once; a different one than before forgets the silo's API. An empty <paramref name="gateway"/> (a silo that did
    /// not record one) changes nothing.
    /// </summary>
    public void SetGateway(string gateway, string clusterId)
    {
        if (string.IsNullOrEmpty(gateway) || string.IsNullOrEmpty(clusterId)) return;
        IPEndPoint? literal = IPEndPoint.TryParse(gateway, out var parsed) && parsed.Port != 0 ? parsed : null;
        lock (_lock)
        {
            if (_gateway == (gateway, clusterId)) return;
            _gateway = (gateway, clusterId);
            (_api, _opening, _gatewayEndpoint) = (null, null, literal);
        }
        if (literal is not null) transport.Add(literal);
    }

    /// <summary>
    /// The silo's client API through the Orleans client, looked up once (shared by every caller; bounded by the connect
    /// timeout, not by one caller's token).
    /// </summary>
    public ValueTask<IDynamoApi> ApiAsync(CancellationToken cancellationToken)
    {
        var api = Volatile.Read(ref _api);
        if (api is not null) return new(api);
        Task<IDynamoApi> opening;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (gateway, clusterId) = _gateway ?? throw new InvalidOperationException($"the gateway of {Address} is not known yet");
            if (_opening is null || _opening.IsFaulted || _opening.IsCanceled) _opening = OpenAsync(gateway, clusterId);
            opening = _opening;
        }
        return new(opening.WaitAsync(cancellationToken));
    }

    private async Task<IDynamoApi> OpenAsync(string gateway, string clusterId)
    {
        using var bound = new CancellationTokenSource(settings.ConnectTimeout + OpenMargin);
        IDynamoApi api;
        try
        {
            var endpoint = await OrleansTransport.ResolveAsync(gateway, bound.Token).ConfigureAwait(false);
            lock (_lock)
            {
                if (_gateway == (gateway, clusterId)) _gatewayEndpoint = endpoint;
            }
            api = await transport.ApiAsync(endpoint, clusterId, bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (bound.IsCancellationRequested)
        {
            throw new TimeoutException($"the Orleans client did not reach gateway {gateway} within {settings.ConnectTimeout + OpenMargin}", e);
        }
        lock (_lock)
        {
            if (_gateway == (gateway, clusterId)) Volatile.Write(ref _api, api);
        }
        return api;
    }

    /// <summary>
    /// The gRPC client of the silo's client API: asks a silo known by address where its gateway is, and carries the
    /// calls addressed to this one silo (status, ring, join, leave, repair).
    /// </summary>
    public Dynamo.DynamoClient Grpc()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _channel ??= SiloChannels.Create(Address, settings);
            return new Dynamo.DynamoClient(_channel);
        }
    }

    public bool IsDown(long now)
    {
        long until = Volatile.Read(ref _downUntil);
        return until != 0 && until > now;
    }

    public void MarkDown(long until) => Volatile.Write(ref _downUntil, until);

    /// <summary>
    /// Drops the cached client API after a call could not reach the silo: the next call looks it up again, and so waits
    /// until Orleans lists the silo's gateway again (<see cref="OrleansTransport.Unlist"/>).
    /// </summary>
    public void ForgetApi()
    {
        lock (_lock)
        {
            _api = null;
            if (_opening is { IsCompleted: true }) _opening = null;
        }
    }

    /// <summary>
    /// Notes the silo's status in a newly installed ring (at <paramref name="now"/>): a silo seen joining and then up
    /// starts ramping up as a coordinator from now (<see cref="CoordinatorShare"/>).
    /// </summary>
    public void NoteJoining(bool joining, long now)
    {
        lock (_lock)
        {
            if (joining)
            {
                _joining = true;
                _rampStart = 0;
            }
            else if (_joining)
            {
                _joining = false;
                _rampStart = now;
            }
        }
    }

    /// <summary>
    /// The share of the requests whose preference list it heads that a silo still joining coordinates. Small (each of
    /// them may read through to an old owner, one message more), but not none: its coordinator paths get compiled and
    /// this client's connection to its gateway opened while it receives its partitions, not in the seconds after, when
    /// its full share arrives (a join's last 10 s were its worst, 2.1x, without it: docs/performance.md).
    /// </summary>
    public const double JoiningShare = 0.02;

    /// <summary>
    /// The share of the requests whose preference list it heads that this silo coordinates once up: 1, or, in the
    /// <paramref name="rampTicks"/> after it finished joining, a share growing from <see cref="JoiningShare"/> to 1 (a slow
    /// start, as load balancers give a new server: a quarter of the traffic at once is a latency spike).
    /// </summary>
    public double CoordinatorShare(long now, long rampTicks)
    {
        long start = Volatile.Read(ref _rampStart);
        if (start == 0 || rampTicks <= 0) return 1;
        long elapsed = now - start;
        return elapsed >= rampTicks ? 1 : JoiningShare + (1 - JoiningShare) * Math.Max(0, (double)elapsed / rampTicks);
    }

    public void MarkUp()
    {
        if (Volatile.Read(ref _downUntil) != 0) Volatile.Write(ref _downUntil, 0);
    }

    public ValueTask DisposeAsync()
    {
        GrpcChannel? channel;
        lock (_lock)
        {
            if (_disposed) return ValueTask.CompletedTask;
            _disposed = true;
            (channel, _channel, _api, _opening) = (_channel, null, null, null);
        }
        channel?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The canonical form of an address, the key endpoints are shared under.</summary>
    public static string Normalize(string address) => address.Trim().TrimEnd('/');
}

/// <summary>
/// How the client connects: the Orleans response timeout, the connect timeout, the mark-down period, and for a TLS
/// cluster its certificate and the cluster's authority.
/// </summary>
internal sealed record ConnectionSettings(TimeSpan ResponseTimeout, TimeSpan ConnectTimeout, TimeSpan MarkDown,
    X509Certificate2? Certificate = null, X509Certificate2? Authority = null)
{
    /// <summary>True for a silo certificate issued by the cluster's authority.</summary>
    public bool Trusts(X509Certificate? silo) =>
        Authority is not null && silo is X509Certificate2 certificate && ClusterCertificates.IsIssuedBy(certificate, Authority, CertificateRole.Silo);
}
