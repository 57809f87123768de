using System.Net.Sockets;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// Why a silo process could not start, as the one line it prints and the exit code it returns: 2 for settings and
/// listening (a bad value, malformed config JSON, a port in use, an address not of this machine), 3 for its data
/// (damaged, missing where it was, of the wrong type, of another storage engine, or a data directory it cannot read or write). Anything else
/// is not a known start-up failure, and keeps its stack trace.
/// </summary>
public sealed record StartupFailure(int ExitCode, string Message)
{
    /// <summary>The known cause of <paramref name="error"/> (searched through inner and aggregated exceptions), or null.</summary>
    public static StartupFailure? Describe(Exception error)
    {
        foreach (var e in Causes(error))
        {
            switch (e)
            {
                case SiloConfigurationException:
                    return new StartupFailure(2, e.Message);
                case StorageEngineMismatchException:
                    return new StartupFailure(3, "the silo's data directory was written by another storage engine and it will not start: " + e.Message);
                case StorageCorruptedException:
                    return new StartupFailure(3, "the silo's data is damaged and it will not start: " + e.Message);
                case StorageUnavailableException:
                    return new StartupFailure(3, e.Message);
                case DynamoException:
                    return new StartupFailure(2, e.Message);
                case IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException }:
                    // Kestrel: "Failed to bind to address http://127.0.0.1:11111: address already in use." (a port
                    // taken after PortCheck looked at it).
                    return new StartupFailure(2, "cannot listen: " + e.Message);
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                    return new StartupFailure(2, "cannot listen: an Orleans port (Silo:SiloPort or Silo:GatewayPort) is in use: " + e.Message);
            }
        }
        return null;
    }

    private static IEnumerable<Exception> Causes(Exception error)
    {
        var pending = new Queue<Exception>([error]);
        for (int seen = 0; pending.Count > 0 && seen < 32; seen++)
        {
            var e = pending.Dequeue();
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions) pending.Enqueue(inner);
            }
            else if (e.InnerException is { } inner)
            {
                pending.Enqueue(inner);
            }
        }
    }
}
