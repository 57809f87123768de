namespace OrleansDynamo.Core.Membership;

/// <summary>
/// A silo as the cluster knows it: its unique name, where to call it, and placement hints. <see cref="Address"/> is its
/// client gRPC address, <see cref="HttpAddress"/> its dashboard and JSON API, <see cref="GatewayAddress"/> (host:port) its
/// Orleans gateway, where the client SDK connects to have this silo coordinate.
/// </summary>
public sealed record MemberInfo(string Name, string Address, string? Zone = null, double Weight = 1.0, string? HttpAddress = null, string? GatewayAddress = null);

/// <summary>Where a silo stands in the membership history. Values reach disk: only append.</summary>
public enum MemberStatus
{
    /// <summary>In the ring, owning partitions.</summary>
    Up = 1,
    /// <summary>Out of the ring; handing its data to the new owners.</summary>
    Leaving = 2,
    /// <summary>Gone; holds nothing.</summary>
    Left = 3,
}

public sealed record MemberState(MemberInfo Info, MemberStatus Status)
{
    public string Name => Info.Name;
}
