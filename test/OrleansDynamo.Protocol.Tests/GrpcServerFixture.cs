namespace OrleansDynamo.Protocol.Tests;

/// <summary>One test server and one client connection shared by a test class.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    public GrpcTestServer Server { get; private set; } = null!;
    public GrpcConnection Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await GrpcTestServer.StartAsync();
        Connection = new GrpcConnection(Server.Address);
    }

    public async Task DisposeAsync()
    {
        Connection.Dispose();
        await Server.DisposeAsync();
    }
}
