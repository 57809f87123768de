namespace OrleansDynamo.Client;

/// <summary>A silo as the cluster reports it.</summary>
/// <param name="Name">Unique silo name.</param>
/// <param name="Address">gRPC address, e.g. <c>http://127.0.0.1:11111</c>.</param>
/// <param name="HttpAddress">JSON API and dashboard address, empty when unknown.</param>
/// <param name="Zone">Failure zone, empty when zones are not configured.</param>
/// <param name="Status"><c>up</c>, <c>unreachable</c>, <c>joining</c> or <c>leaving</c>.</param>
/// <param name="Partitions">Partitions this silo owns (its tokens).</param>
/// <param name="Replicas">Partition replicas it holds (places in the top N of a preference list).</param>
/// <param name="GatewayAddress">Its Orleans gateway (host:port), where the client connects to have it coordinate; empty when unknown.</param>
public sealed record ClusterSilo(string Name, string Address, string HttpAddress, string Zone, string Status, int Partitions, int Replicas,
    string GatewayAddress = "")
{
    /// <summary>The status of a silo that answers.</summary>
    public const string StatusUp = "up";

    /// <summary>The status of a silo other silos cannot reach.</summary>
    public const string StatusUnreachable = "unreachable";

    /// <summary>The status of a new owner still receiving its partitions from their old owners.</summary>
    public const string StatusJoining = "joining";

    /// <summary>True while the silo still receives its partitions (it answers, reading through to their old owners).</summary>
    public bool IsJoining => string.Equals(Status, StatusJoining, StringComparison.OrdinalIgnoreCase);

    /// <summary>True unless the cluster judges the silo unreachable.</summary>
    public bool IsReachable => !string.Equals(Status, StatusUnreachable, StringComparison.OrdinalIgnoreCase);

    internal static ClusterSilo FromWire(OrleansDynamo.Protocol.Grpc.SiloInfo info) =>
        new(info.Name, info.GrpcAddress, info.HttpAddress, info.Zone, info.Status, (int)info.Partitions, (int)info.Replicas, info.GatewayAddress);
}
