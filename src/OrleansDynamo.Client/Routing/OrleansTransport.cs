using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Messaging;
using OrleansDynamo.Protocol.Gateway;

namespace OrleansDynamo.Client.Routing;

/// <summary>
/// The client's one Orleans client, connected to the gateway of every silo it calls. A call of a silo's
/// <see cref="IDynamoApiService"/> (a system target, addressed by the silo's gateway) goes straight over the connection to
/// that gateway, so the client picks the coordinator without an Orleans client per silo. Orleans' gateway list comes
/// from the rings (<see cref="Add"/>); a gateway is called only once Orleans has taken a list with it in
/// (<see cref="RingGatewayList"/>): a call to a system target at a gateway Orleans does not list goes to another gateway,
/// which cannot forward it. Started on the first call, with that call's gateway first; closed with the client.
/// </summary>
internal sealed class OrleansTransport(ConnectionSettings settings) : IAsyncDisposable
{
    // How often Orleans takes the gateway list again: how soon after a ring shows a new silo it can be called, and how
    // long Orleans leaves out a gateway it failed to connect to (RingGatewayList.MaxStaleness is zero).
    internal static readonly TimeSpan ListRefresh = TimeSpan.FromMilliseconds(100);
    // Beyond the connect timeout, how long a start may take before it is given up.
    private static readonly TimeSpan StartMargin = TimeSpan.FromSeconds(1);
    // How long closing waits for the Orleans client to stop and be disposed before leaving it to finish in the background.
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

    // How long a call waits for a start through another silo's gateway before it starts one through its own: a start
    // through a gateway whose host is gone waits out the connect timeout, and calls to live silos should not.
    private static readonly TimeSpan StartGrace = TimeSpan.FromMilliseconds(500);

    private readonly object _lock = new();
    private readonly List<IPEndPoint> _gateways = [];
    // Starts under way, by the gateway each started through; the first to succeed is the client's Orleans client.
    private readonly Dictionary<IPEndPoint, Task<Started>> _starts = [];
    private readonly TaskCompletionSource<Started> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _firstStartAt;
    private int _clientsBuilt;
    private string? _clusterId;
    private Started? _started;
    private bool _disposed;

    private sealed record Started(IHost Host, IClusterClient Client, RingGatewayList List);

    /// <summary>How many Orleans clients this transport has built (one, unless a start failed or two raced).</summary>
    public int ClientsBuilt => Volatile.Read(ref _clientsBuilt);

    /// <summary>Adds a gateway to Orleans' list (from a ring), so that it is listed by the time it is first called.</summary>
    public void Add(IPEndPoint gateway)
    {
        RingGatewayList? list;
        lock (_lock)
        {
            if (_gateways.Contains(gateway)) return;
            _gateways.Add(gateway);
            list = _started?.List;
        }
        list?.Add(gateway);
    }

    /// <summary>
    /// After a call to <paramref name="gateway"/> could not reach it: Orleans takes a gateway it failed to connect to off
    /// its live list until its next take of the list, and a call sent there meanwhile would be left unanswered until its
    /// timeout; so the gateway counts as listed again only after Orleans has taken the list twice more (within
    /// 2 × <see cref="ListRefresh"/>).
    /// </summary>
    public void Unlist(IPEndPoint gateway)
    {
        RingGatewayList? list;
        lock (_lock) list = _started?.List;
        list?.Unlist(gateway);
    }

    /// <summary>
    /// Keeps in Orleans' list only <paramref name="gateways"/> (those of a newly installed ring, the ring's silos with a
    /// literal address), so that the gateways of silos that left do not stay on it.
    /// </summary>
    public void Retain(IReadOnlyCollection<IPEndPoint> gateways)
    {
        RingGatewayList? list;
        lock (_lock)
        {
            _gateways.RemoveAll(g => !gateways.Contains(g));
            foreach (var gateway in gateways)
            {
                if (!_gateways.Contains(gateway)) _gateways.Add(gateway);
            }
            list = _started?.List;
        }
        list?.Retain(gateways);
    }

    /// <summary>
    /// The client API of the silo whose gateway is <paramref name="gateway"/> in cluster <paramref name="clusterId"/>,
    /// once Orleans lists that gateway. Starts the Orleans client if it is not running: through this gateway, unless a
    /// start through another one is under way and not older than <see cref="StartGrace"/> (each start bounded by the
    /// connect timeout; throws when this gateway cannot be reached or refuses this client).
    /// </summary>
    public async Task<IDynamoApi> ApiAsync(IPEndPoint gateway, string clusterId, CancellationToken cancellationToken)
    {
        Add(gateway);
        var started = await StartedAsync(gateway, clusterId, cancellationToken).ConfigureAwait(false);
        await started.List.WhenListedAsync(gateway, cancellationToken).ConfigureAwait(false);
        return started.Client.GetGrain<IDynamoApiService>(IDynamoApiService.At(gateway));
    }

    private async Task<Started> StartedAsync(IPEndPoint gateway, string clusterId, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<Started>? mine;
            TimeSpan wait = TimeSpan.Zero;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_clusterId is not null && !string.Equals(_clusterId, clusterId, StringComparison.Ordinal))
                    throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                        $"the silo at gateway {gateway} belongs to cluster '{clusterId}', and this client to '{_clusterId}'");
                if (_started is { } running) return running;
                if (!_starts.TryGetValue(gateway, out mine))
                {
                    long now = Environment.TickCount64;
                    if (_starts.Count > 0) wait = StartGrace - TimeSpan.FromMilliseconds(now - _firstStartAt);
                    if (wait <= TimeSpan.Zero)
                    {
                        if (_starts.Count == 0) _firstStartAt = now;
                        _clusterId = clusterId;
                        mine = StartAsync(gateway, clusterId);
                        _starts[gateway] = mine;
                    }
                }
            }
            if (mine is null)
            {
                // Another call is starting the client through its silo's gateway: give it a moment.
                await Task.WhenAny(_ready.Task, Task.Delay(wait, cancellationToken)).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                continue;
            }
            await Task.WhenAny(_ready.Task, mine).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (_ready.Task.IsCompletedSuccessfully) return _ready.Task.Result;
            return await mine.ConfigureAwait(false);
        }
    }

    /// <summary>A start through <paramref name="first"/>, which leaves <c>_starts</c> however it ends.</summary>
    private async Task<Started> StartAsync(IPEndPoint first, string clusterId)
    {
        // The caller records the start under the lock it holds; run the start after that.
        await Task.Yield();
        try
        {
            return await StartCoreAsync(first, clusterId).ConfigureAwait(false);
        }
        finally
        {
            lock (_lock) _starts.Remove(first);
        }
    }

    private async Task<Started> StartCoreAsync(IPEndPoint first, string clusterId)
    {
        List<IPEndPoint> known;
        lock (_lock) known = [.. _gateways];
        // The call's gateway is the one Orleans starts with (it fetches the cluster's type manifest from it): the
        // router picked it as reachable.
        known.Remove(first);
        known.Insert(0, first);
        Interlocked.Increment(ref _clientsBuilt);
        var list = new RingGatewayList(known);
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.Services.AddSingleton<IGatewayListProvider>(list);
                client.Configure<GatewayOptions>(o =>
                {
                    o.GatewayListRefreshPeriod = ListRefresh;
                    // Orleans takes the gateway after this index first.
                    o.PreferredGatewayIndex = known.Count - 1;
                });
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = DynamoCluster.ServiceId;
                });
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = settings.ResponseTimeout);
                client.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = settings.ConnectTimeout);
                if (settings.Certificate is { } certificate)
                {
                    // Mutual TLS: the gateways see this client's certificate; the client accepts only a silo the
                    // cluster's authority issued.
                    client.UseTls(certificate, o =>
                    {
                        o.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                        o.RemoteCertificateValidation = (silo, _, _) => settings.Trusts(silo);
                    });
                }
            })
            .Build();
        try
        {
            // Bounded here too: against a gateway whose host vanished without closing its sockets, Orleans' own start
            // was seen waiting about three minutes despite its connect timeout.
            await host.StartAsync().WaitAsync(settings.ConnectTimeout + StartMargin).ConfigureAwait(false);
        }
        catch
        {
            // A start that failed half way (the gateway refused) has timers and connection attempts running: stop them.
            await CloseAsync(host).ConfigureAwait(false);
            throw;
        }
        var started = new Started(host, host.Services.GetRequiredService<IClusterClient>(), list);
        bool keep;
        lock (_lock)
        {
            keep = !_disposed && _started is null;
            if (keep)
            {
                _started = started;
                // Gateways the rings added or took away while it started.
                list.Retain(_gateways);
            }
        }
        if (!keep)
        {
            // The client was closed meanwhile, or a start through another gateway won: this one is not needed.
            await CloseAsync(host).ConfigureAwait(false);
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _started!;
        }
        _ready.TrySetResult(started);
        return started;
    }

    public async ValueTask DisposeAsync()
    {
        Started? started;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            (started, _started) = (_started, null);
        }
        // A start still under way closes what it started itself (it sees the client disposed).
        if (started is not null) await CloseAsync(started.Host).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the Orleans client and disposes it asynchronously, as its services need, waiting at most
    /// <see cref="CloseWait"/>: on a half-open connection (a gateway's host that vanished without closing it, a cut
    /// link) closing was measured taking about three minutes, which would hold up the caller's own dispose; it
    /// finishes in the background instead.
    /// </summary>
    private static async ValueTask CloseAsync(IHost host)
    {
        var closing = StopAndDisposeAsync(host);
        try
        {
            await closing.WaitAsync(CloseWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _ = closing.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private static async Task StopAndDisposeAsync(IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A gateway is gone or the stop timed out: the client is disposed below either way.
        }
        if (host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        else host.Dispose();
    }

    /// <summary>The gateway's IP endpoint: host:port with a literal address, or a DNS name (its first address).</summary>
    public static async Task<IPEndPoint> ResolveAsync(string gateway, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(gateway, out var parsed) && parsed.Port != 0) return parsed;
        int colon = gateway.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(gateway.AsSpan(colon + 1), out int port) || port is < 1 or > 65535)
            throw new DynamoException(DynamoErrorKind.Internal, $"the ring gives gateway '{gateway}', which is not host:port");
        var addresses = await Dns.GetHostAddressesAsync(gateway[..colon], cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0) throw DynamoException.Unavailable($"{gateway}: the host name has no address");
        return new IPEndPoint(addresses[0], port);
    }
}

/// <summary>
/// Orleans' gateway list, from the rings: every gateway the client learned, in the order it learned them. Orleans takes
/// the list when it starts and then every <see cref="OrleansTransport.ListRefresh"/>, one take after another; a gateway
/// counts as listed once a take that returned it is followed by another (the first take had finished by then), or at
/// once if the start's take returned it.
/// </summary>
internal sealed class RingGatewayList(List<IPEndPoint> initial) : IGatewayListProvider
{
    private readonly object _lock = new();
    private readonly List<Uri> _uris = initial.ConvertAll(ToUri);
    // The take in which each gateway was first returned; the start's take is 0.
    private readonly Dictionary<Uri, long> _firstTaken = [];
    private long _takes;
    private TaskCompletionSource _nextTake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Zero: a gateway Orleans failed to connect to is back on its list at the next take. While it is off, a call to
    /// the system target there would go through another gateway, which cannot forward it and leaves it unanswered
    /// until the call's timeout (measured: 30 s at Orleans' default); the router's own mark-down keeps calls away from
    /// a silo it could not reach, for longer.
    /// </summary>
    public TimeSpan MaxStaleness => TimeSpan.Zero;

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => Task.CompletedTask;

    public Task<IList<Uri>> GetGateways()
    {
        TaskCompletionSource taken;
        List<Uri> list;
        lock (_lock)
        {
            long take = _takes++;
            foreach (var uri in _uris) _firstTaken.TryAdd(uri, take);
            list = [.. _uris];
            (taken, _nextTake) = (_nextTake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
        taken.TrySetResult();
        return Task.FromResult<IList<Uri>>(list);
    }

    public void Add(IPEndPoint gateway)
    {
        var uri = ToUri(gateway);
        lock (_lock)
        {
            if (!_uris.Contains(uri)) _uris.Add(uri);
        }
    }

    public void Retain(IReadOnlyCollection<IPEndPoint> gateways)
    {
        var keep = gateways.Select(ToUri).ToHashSet();
        lock (_lock)
        {
            _uris.RemoveAll(u => !keep.Contains(u));
            foreach (var uri in keep)
            {
                if (!_uris.Contains(uri)) _uris.Add(uri);
            }
            // A gateway taken out and added again is listed again only after Orleans takes the list twice more.
            foreach (var uri in _firstTaken.Keys.Where(u => !keep.Contains(u)).ToList()) _firstTaken.Remove(uri);
        }
    }

    /// <summary>
    /// A call to <paramref name="gateway"/> failed to reach it: it counts as listed again only once a take returned it and
    /// another followed, as for a gateway added late.
    /// </summary>
    public void Unlist(IPEndPoint gateway)
    {
        var uri = ToUri(gateway);
        lock (_lock) _firstTaken.Remove(uri);
    }

    /// <summary>Completes once Orleans lists <paramref name="gateway"/> (it must have been added).</summary>
    public async Task WhenListedAsync(IPEndPoint gateway, CancellationToken cancellationToken)
    {
        var uri = ToUri(gateway);
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (_firstTaken.TryGetValue(uri, out long take) && (take == 0 || _takes > take + 1)) return;
                next = _nextTake.Task;
            }
            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static Uri ToUri(IPEndPoint gateway) => Orleans.Runtime.Utils.ToGatewayUri(gateway);
}
