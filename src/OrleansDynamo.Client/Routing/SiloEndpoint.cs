using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client.Routing;

/// <summary>
/// One silo as this client sees it, known by its gRPC address: where its Orleans gateway is (from the ring, or asked
/// of the silo once over gRPC), the Orleans client connected to that gateway (opened on first use, dropped after a
/// transport failure), and whether it was recently unreachable (judged locally from failed calls; shared by every
/// ring snapshot that lists the address).
/// </summary>
internal sealed class SiloEndpoint(string address, ConnectionSettings settings) : IAsyncDisposable
{
    private readonly object _lock = new();
    // TimeProvider timestamp until which the silo is skipped; 0 when it is not marked down.
    private long _downUntil;
    private bool _joining;
    private long _rampStart;
    private (string Gateway, string ClusterId)? _gateway;
    private Task<GatewayConnection>? _connection;
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

    /// <summary>True while an Orleans connection to the silo's gateway is open or opening.</summary>
    public bool Connected
    {
        get
        {
            lock (_lock) return _connection is { IsFaulted: false, IsCanceled: false };
        }
    }

    /// <summary>
    /// Records where the silo's gateway is (from a ring); a different one than before drops the open connection.
    /// An empty <paramref name="gateway"/> (a silo that did not record one) changes nothing.
    /// </summary>
    public void SetGateway(string gateway, string clusterId)
    {
        if (string.IsNullOrEmpty(gateway) || string.IsNullOrEmpty(clusterId)) return;
        Task<GatewayConnection>? stale = null;
        lock (_lock)
        {
            if (_gateway == (gateway, clusterId)) return;
            _gateway = (gateway, clusterId);
            (stale, _connection) = (_connection, null);
        }
        Close(stale);
    }

    /// <summary>
    /// The Orleans connection to the silo's gateway, opened if there is none (one open at a time, shared by every
    /// caller; the open is bounded by the connect timeout, not by one caller's token).
    /// </summary>
    public Task<GatewayConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        Task<GatewayConnection> connection;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (gateway, clusterId) = _gateway ?? throw new InvalidOperationException($"the gateway of {Address} is not known yet");
            if (_connection is null || _connection.IsFaulted || _connection.IsCanceled)
                _connection = GatewayConnection.OpenAsync(gateway, clusterId, settings, CancellationToken.None);
            connection = _connection;
        }
        return connection.IsCompletedSuccessfully ? connection : connection.WaitAsync(cancellationToken);
    }

    /// <summary>After a transport failure: closes the connection, so the next call opens a fresh one.</summary>
    public void Disconnect()
    {
        Task<GatewayConnection>? stale;
        lock (_lock) (stale, _connection) = (_connection, null);
        Close(stale);
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

    public async ValueTask DisposeAsync()
    {
        Task<GatewayConnection>? connection;
        GrpcChannel? channel;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            (connection, _connection, channel, _channel) = (_connection, null, _channel, null);
        }
        channel?.Dispose();
        if (connection is { IsCompleted: false })
        {
            // Still opening (a gateway that accepts but never answers can keep it so for minutes): close it once it opens.
            Close(connection);
        }
        else if (connection is not null)
        {
            try
            {
                await (await connection.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // It never opened: nothing to close.
            }
        }
    }

    /// <summary>The canonical form of an address, the key endpoints are shared under.</summary>
    public static string Normalize(string address) => address.Trim().TrimEnd('/');

    private static void Close(Task<GatewayConnection>? connection)
    {
        if (connection is null) return;
        _ = connection.ContinueWith(static t =>
        {
            if (t.IsCompletedSuccessfully) _ = t.Result.DisposeAsync().AsTask();
            else _ = t.Exception;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
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
