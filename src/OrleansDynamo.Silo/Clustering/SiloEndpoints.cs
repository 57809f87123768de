using System.Net;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Where a silo listens for other silos (<see cref="SiloPort"/>) and for clients (<see cref="GatewayPort"/>),
/// and the address it advertises in the membership table (loopback unless set).
/// </summary>
public sealed record SiloEndpoints(int SiloPort, int GatewayPort)
{
    private const int MaxPort = 65535;

    /// <summary>The address other silos and clients use to reach this silo. Default 127.0.0.1.</summary>
    public IPAddress AdvertisedAddress { get; init; } = IPAddress.Loopback;

    /// <summary>
    /// <c>localhost</c> mode only: the silo-to-silo endpoint of the silo that holds the development
    /// membership table. Null (the default) makes this silo the primary.
    /// </summary>
    public IPEndPoint? PrimarySiloEndpoint { get; init; }

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (SiloPort is < 1 or > MaxPort) errors.Add($"{nameof(SiloEndpoints)}:{nameof(SiloPort)} must be 1-{MaxPort}, got {SiloPort}");
        if (GatewayPort is < 0 or > MaxPort) errors.Add($"{nameof(SiloEndpoints)}:{nameof(GatewayPort)} must be 0-{MaxPort} (0: no gateway), got {GatewayPort}");
        if (GatewayPort != 0 && GatewayPort == SiloPort) errors.Add($"{nameof(SiloEndpoints)}:{nameof(GatewayPort)} must differ from {nameof(SiloPort)} ({SiloPort})");
        return errors;
    }
}
