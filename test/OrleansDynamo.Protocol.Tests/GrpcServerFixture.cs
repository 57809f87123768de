namespace OrleansDynamo.Protocol.Tests;

/// <summary>One test server shared by a test class.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    public GrpcTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await GrpcTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
