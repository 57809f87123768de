using Grpc.Net.Client;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client.Routing;

/// <summary>
/// One silo address as this client sees it: its gRPC channel and generated stub, and whether it was recently
/// unreachable (judged locally from failed calls; shared by every ring snapshot that lists the address).
/// </summary>
internal sealed class SiloEndpoint(string address, GrpcChannel channel) : IDisposable
{
    // TimeProvider timestamp until which the silo is skipped; 0 when it is not marked down.
    private long _downUntil;

    public string Address { get; } = address;

    /// <summary>The channel to the silo (HTTP/2, its own connections).</summary>
    public GrpcChannel Channel { get; } = channel;

    /// <summary>The generated client of <c>orleansdynamo.v1.Dynamo</c> on <see cref="Channel"/>.</summary>
    public Dynamo.DynamoClient Stub { get; } = new(channel);

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

    public void Dispose() => Channel.Dispose();

    /// <summary>The canonical form of an address, the key endpoints are shared under.</summary>
    public static string Normalize(string address) => address.Trim().TrimEnd('/');
}
