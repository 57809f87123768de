using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OrleansDynamo.Protocol;

/// <summary>Kestrel setup for a gRPC endpoint.</summary>
public static class KestrelGrpcExtensions
{
    /// <summary>
    /// Listens on <paramref name="address"/>:<paramref name="port"/> with HTTP/2 only, which cleartext
    /// prior-knowledge h2c (what every gRPC client speaks without TLS) requires. Port 0 picks a free port;
    /// read it back from <c>IServerAddressesFeature</c>. The JSON/dashboard port is a separate
    /// <c>Http1AndHttp2</c> endpoint.
    /// </summary>
    public static void ListenGrpc(this KestrelServerOptions options, IPAddress address, int port, Action<ListenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(address);
        options.Listen(address, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            configure?.Invoke(listen);
        });
    }
}
