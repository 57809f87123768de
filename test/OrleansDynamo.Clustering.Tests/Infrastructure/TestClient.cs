using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using OrleansDynamo.Silo.Clustering;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>An Orleans client (generic host, <c>UseOrleansClient</c>) that finds its gateways with <c>UseDynamoClustering</c>.</summary>
internal sealed class TestClient : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    private readonly IHost _host;

    private TestClient(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<TestClient> StartAsync(ClusteringOptions clustering, ClusterIdentity cluster, IReadOnlyList<int>? localhostGatewayPorts = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseDynamoClustering(clustering, cluster, localhostGatewayPorts);
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await host.StartAsync(timeout.Token);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new TestClient(host);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // disposed regardless
        }
        _host.Dispose();
    }
}
