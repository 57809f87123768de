using System.Net;
using Grpc.Net.Client;

namespace OrleansDynamo.Client.Routing;

/// <summary>How the client opens a gRPC channel to one silo address.</summary>
internal static class SiloChannels
{
    /// <summary>
    /// Largest request or response message: 16 MiB. The channel carries only the bootstrap call that asks a silo for the
    /// ring (a ring of 65,536 partitions is well under 1 MiB); requests go through the Orleans gateway.
    /// </summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>HTTP/2 PING interval that detects a dead silo on a quiet connection.</summary>
    private static readonly TimeSpan KeepAlivePingDelay = TimeSpan.FromSeconds(30);

    /// <summary>A PING unanswered this long closes the connection.</summary>
    private static readonly TimeSpan KeepAlivePingTimeout = TimeSpan.FromSeconds(20);

    /// <summary>An idle connection is closed after this long.</summary>
    private static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The channel's first reconnect wait after a failed connect.</summary>
    private static readonly TimeSpan InitialReconnectBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A channel to <paramref name="address"/> (http:// is HTTP/2 cleartext with prior knowledge, as every gRPC
    /// client speaks it; https:// presents the client's certificate and trusts only the cluster's authority). A connect may take <paramref name="connectTimeout"/>; after failed connects the channel
    /// waits at most <paramref name="markDown"/> before connecting again, so a silo the router tries again after
    /// its mark-down is connected to at once.
    /// </summary>
    public static GrpcChannel Create(string address, ConnectionSettings settings)
    {
        var (connectTimeout, markDown) = (settings.ConnectTimeout, settings.MarkDown);
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
            KeepAlivePingDelay = KeepAlivePingDelay,
            KeepAlivePingTimeout = KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = connectTimeout,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (settings.Certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [settings.Certificate];
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => settings.Trusts(certificate);
        }
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
            InitialReconnectBackoff = InitialReconnectBackoff,
            MaxReconnectBackoff = markDown > InitialReconnectBackoff ? markDown : InitialReconnectBackoff,
        });
    }
}
