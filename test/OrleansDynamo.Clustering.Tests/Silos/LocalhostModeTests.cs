using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>The default <c>localhost</c> mode: one silo, Orleans' development clustering and in-memory reminders; a client on its gateway port.</summary>
[Collection(OrleansSilosCollection.Name)]
public sealed class LocalhostModeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private const long Key = 7;
    private const int Ticks = 2;

    [Fact]
    public async Task One_silo_serves_a_client_and_runs_reminders()
    {
        var options = new ClusteringOptions();
        var ports = FreePorts.Take(2);
        var endpoints = new SiloEndpoints(ports[0], ports[1]);
        var cluster = new ClusterIdentity("dev-" + Guid.NewGuid().ToString("N")[..8], "dev");
        var ticks = new ReminderTickLog();
        await using var silo = await TestSilo.StartAsync("solo", options, cluster, endpoints, ticks);
        Assert.Equal(SiloStatus.Active, silo.Membership.GetSiloStatus(silo.Address));

        await using var client = await TestClient.StartAsync(options, cluster, [endpoints.GatewayPort]);
        var answers = await GrainCalls.AllAnswerAsync(client.Client, [1, 2, 3], Bound, "the client");
        Assert.All(answers.Values, name => Assert.Equal("solo", name));

        await client.Client.GetGrain<IReminderProbeGrain>(Key).StartReminder(Period);
        await Eventually.Until($"{Ticks} reminder ticks", Bound, () =>
            ticks.Snapshot().Count(t => t.GrainKey == Key) >= Ticks ? null : $"{ticks.Snapshot().Count} ticks");
    }
}
