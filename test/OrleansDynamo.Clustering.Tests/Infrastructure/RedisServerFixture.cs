using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>One redis-server per test class, started before its first test and killed after its last.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServerProcess? _server;

    internal RedisServerProcess Server => _server ?? throw new InvalidOperationException("redis-server was not started");

    public async Task InitializeAsync() => _server = await RedisServerProcess.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
