using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansDynamo.Protocol.Gateway;

namespace OrleansDynamo.Client.Routing;

/// <summary>
/// An Orleans client connected to one silo's gateway only: a call of <see cref="IDynamoApiGrain"/> (a stateless
/// worker) through it runs on that silo, which coordinates it. One per silo the client sends to (an Orleans client
/// with several gateways picks one by hashing the grain id, which would add a hop).
/// </summary>
internal sealed class GatewayConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private GatewayConnection(IHost host)
    {
        _host = host;
        Api = host.Services.GetRequiredService<IClusterClient>().GetGrain<IDynamoApiGrain>(IDynamoApiGrain.Key);
    }

    // Beyond the connect timeout, how long an open may take before it is given up.
    private static readonly TimeSpan StartMargin = TimeSpan.FromSeconds(1);

    /// <summary>The silo's client API.</summary>
    public IDynamoApiGrain Api { get; }

    /// <summary>
    /// Connects to <paramref name="gateway"/> (host:port) of cluster <paramref name="clusterId"/>, over mutual TLS when
    /// <paramref name="settings"/> has a certificate. Throws when the gateway cannot be reached or refuses this client (the Orleans client does not retry: the router tries the next silo).
    /// </summary>
    public static async Task<GatewayConnection> OpenAsync(string gateway, string clusterId, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        var endpoint = await ResolveAsync(gateway, cancellationToken).ConfigureAwait(false);
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                client.UseStaticClustering(endpoint);
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = DynamoCluster.ServiceId;
                });
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = settings.ResponseTimeout);
                client.Configure<ConnectionOptions>(o => o.OpenConnectionTimeout = settings.ConnectTimeout);
                if (settings.Certificate is { } certificate)
                {
                    // Mutual TLS: the gateway sees this client's certificate; the client accepts only a silo the
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
            await host.StartAsync(cancellationToken).WaitAsync(settings.ConnectTimeout + StartMargin, cancellationToken).ConfigureAwait(false);
            return new GatewayConnection(host);
        }
        catch
        {
            // A start that failed half way (the gateway refused) has timers and connection attempts running: stop them.
            await CloseAsync(host).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The gateway's IP endpoint: host:port with a literal address, or a DNS name (its first address).</summary>
    private static async Task<IPEndPoint> ResolveAsync(string gateway, CancellationToken cancellationToken)
    {
        if (IPEndPoint.TryParse(gateway, out var parsed) && parsed.Port != 0) return parsed;
        int colon = gateway.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(gateway.AsSpan(colon + 1), out int port) || port is < 1 or > 65535)
            throw new DynamoException(DynamoErrorKind.Internal, $"the ring gives gateway '{gateway}', which is not host:port");
        var addresses = await Dns.GetHostAddressesAsync(gateway[..colon], cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0) throw DynamoException.Unavailable($"{gateway}: the host name has no address");
        return new IPEndPoint(addresses[0], port);
    }

    public ValueTask DisposeAsync() => CloseAsync(_host);

    // How long closing waits for the Orleans client to stop and be disposed before leaving it to finish in the background.
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

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
            // The gateway is gone or the stop timed out: the client is disposed below either way.
        }
        if (host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
        else host.Dispose();
    }
}
