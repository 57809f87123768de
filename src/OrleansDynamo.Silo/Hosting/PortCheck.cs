using System.Net;
using System.Net.Sockets;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// Binds each port a silo will listen on, once, before anything starts, and says in one line per port why one
/// cannot be used (in use by another process, an address not of this machine, a port that needs privileges).
/// A port taken between this check and the real bind still fails the start (<see cref="SiloStartup"/> then records
/// no join); this check makes the common case a clear message rather than a failure deep in Kestrel or Orleans.
/// </summary>
public static class PortCheck
{
    /// <summary>The problems, each naming the setting, the address and the port; empty when every port can be bound.</summary>
    public static IReadOnlyList<string> Problems(SiloOptions options, IPAddress address)
    {
        var problems = new List<string>();
        foreach (var (setting, port) in new[] { ("GrpcPort", options.GrpcPort), ("HttpPort", options.HttpPort), ("SiloPort", options.SiloPort), ("GatewayPort", options.GatewayPort) })
        {
            if (port == 0) continue;
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(address, port));
                socket.Listen();
            }
            catch (SocketException e)
            {
                problems.Add(e.SocketErrorCode switch
                {
                    SocketError.AddressAlreadyInUse => $"Silo:{setting} {port} on {address} is in use by another process",
                    SocketError.AddressNotAvailable => $"Silo:Host {address} is not an address of this machine (binding Silo:{setting} {port} failed)",
                    SocketError.AccessDenied => $"Silo:{setting} {port} on {address} needs privileges this process does not have",
                    _ => $"Silo:{setting} {port} on {address} cannot be bound: {e.Message}",
                });
                if (e.SocketErrorCode == SocketError.AddressNotAvailable) break;
            }
        }
        return problems;
    }
}
