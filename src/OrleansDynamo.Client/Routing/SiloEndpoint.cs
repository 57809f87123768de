using OrleansDynamo.Protocol;

namespace OrleansDynamo.Client.Routing;

/// <summary>
/// One silo address as this client sees it: its pooled connection and whether it was recently
/// unreachable (judged locally from failed calls; shared by every ring snapshot that lists the address).
/// Key-value calls go through <see cref="Calls"/>, which combines them into batch requests under load.
/// </summary>
internal sealed class SiloEndpoint(string address, GrpcConnection connection, GrpcCallBatcher calls)
{
    // TimeProvider timestamp until which the silo is skipped; 0 when it is not marked down.
    private long _downUntil;

    public string Address { get; } = address;

    public GrpcConnection Connection { get; } = connection;

    /// <summary>The client API's calls to this silo, batched when many are in flight.</summary>
    public GrpcCallBatcher Calls { get; } = calls;

    public bool IsDown(long now)
    {
        long until = Volatile.Read(ref _downUntil);
        return until != 0 && until > now;
    }

    public void MarkDown(long until) => Volatile.Write(ref _downUntil, until);

    public void MarkUp()
    {
        if (Volatile.Read(ref _downUntil) != 0) Volatile.Write(ref _downUntil, 0);
    }

    /// <summary>The canonical form of an address, the key endpoints are shared under.</summary>
    public static string Normalize(string address) => address.Trim().TrimEnd('/');
}
