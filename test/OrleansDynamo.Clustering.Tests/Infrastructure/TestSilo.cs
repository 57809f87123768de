using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Silo.Clustering;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>
/// One real Orleans silo (generic host, <c>UseOrleans</c>, loopback, given ports) inside the test
/// process, clustered with <see cref="ClusteringExtensions.UseDynamoClustering(ISiloBuilder, ClusteringOptions, ClusterIdentity, SiloEndpoints)"/>.
/// <see cref="KillAsync"/> stops it the way Orleans' TestingHost kills a silo: with an already-cancelled token.
/// In Orleans 10.4.2 that stop still writes Stopping and then Dead (its own vote) to the membership table,
/// so it is a fast shutdown, not a crash; <see cref="SiloProcess"/> runs a silo that can really crash.
/// </summary>
internal sealed class TestSilo : IAsyncDisposable
{
    /// <summary>Set CLUSTERING_TEST_LOGS=1 to see the silos' Orleans logs on the console.</summary>
    private const string LogSwitch = "CLUSTERING_TEST_LOGS";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReminderPeriodFloor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReminderRefresh = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly IHost _host;
    private bool _running = true;

    private TestSilo(string name, SiloEndpoints endpoints, IHost host)
    {
        Name = name;
        Endpoints = endpoints;
        _host = host;
        Address = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
    }

    public string Name { get; }

    public SiloEndpoints Endpoints { get; }

    /// <summary>This incarnation's address (endpoint and generation).</summary>
    public SiloAddress Address { get; }

    public bool IsRunning => _running;

    public IServiceProvider Services => _host.Services;

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    public ClusterMembershipSnapshot Membership => Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot;

    public static async Task<TestSilo> StartAsync(string name, ClusteringOptions clustering, ClusterIdentity cluster, SiloEndpoints endpoints, ReminderTickLog ticks)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Development });
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable(LogSwitch) == "1")
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = $"HH:mm:ss.fff [{name}] "; }).SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton(ticks);
        builder.UseOrleans(silo =>
        {
            silo.UseDynamoClustering(clustering, cluster, endpoints);
            silo.Configure<SiloOptions>(o => o.SiloName = name);
            silo.Configure<ReminderOptions>(o =>
            {
                o.MinimumReminderPeriod = ReminderPeriodFloor;
                o.RefreshReminderListPeriod = ReminderRefresh;
                o.ReminderLoadingWindow = ReminderRefresh * 2;
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
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
        return new TestSilo(name, endpoints, host);
    }

    /// <summary>Stops the silo ungracefully (an already-cancelled token) and frees its ports.</summary>
    public async Task KillAsync()
    {
        if (!_running) return;
        _running = false;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        try
        {
            await _host.StopAsync(cancelled.Token).WaitAsync(StopTimeout);
        }
        catch (OperationCanceledException)
        {
            // expected: the stop was cancelled before it began
        }
        _host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_running) return;
        _running = false;
        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _host.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // a slow graceful stop; the host is disposed regardless
        }
        _host.Dispose();
    }
}
