using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansDynamo.Client;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// The client SDK on Microsoft.Orleans.Client: registered on <c>UseOrleansClient</c> it needs no seed and no gRPC, and
/// each request enters the cluster through the gateway of the silo that coordinates it (no silo forwards).
/// </summary>
public sealed class OrleansClientTests
{
    [Fact]
    public async Task A_client_on_UseOrleansClient_sends_each_request_to_its_coordinators_own_gateway()
    {
        // Timeouts well above any CPU stall of a loaded 2-core machine: this test is about where requests go.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, ReplicaTimeoutMs = 5000, RequestTimeoutMs = 10000 });
        var entry = cluster.Silo("silo1");
        var host = new HostBuilder()
            .UseOrleansClient(client =>
            {
                // One gateway only: the DynamoClient finds the others in the ring.
                client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, entry.Options.GatewayPort));
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = entry.Options.ClusterName;
                    o.ServiceId = DynamoCluster.ServiceId;
                });
                client.AddDynamoClient();
            })
            .Build();
        try
        {
            await host.StartAsync();
            var dynamo = host.Services.GetRequiredService<DynamoClient>();
            Assert.Empty(dynamo.Seeds);

            var keys = Enumerable.Range(0, 60).Select(i => $"orleans-{i}").ToList();
            foreach (var k in keys) await dynamo.PutAsync(k, "v-" + k);
            var coordinators = new HashSet<string>();
            foreach (var k in keys)
            {
                var got = await dynamo.GetAsync(k);
                Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
                // Client-driven coordination: the coordinator is the first silo of the key's preference list.
                Assert.Equal(dynamo.CurrentRing!.PreferenceList("default", k)[0].Name, got.Coordinator);
                coordinators.Add(got.Coordinator);
            }
            Assert.Equal(3, coordinators.Count);
            Assert.All(cluster.Running, s => Assert.False(string.IsNullOrEmpty(dynamo.CurrentRing!.Silos.Single(r => r.Name == s.Name).GatewayAddress)));
            // Each of the 120 requests entered at the silo that coordinated it.
            Assert.Equal(0, cluster.Running.Sum(s => s.Runtime.Counters.Get(CounterNames.Forwarded)));
            await host.StopAsync();
        }
        finally
        {
            await host.CloseAsync();
        }
    }

    [Fact]
    public async Task One_Orleans_client_reaches_each_coordinator_directly_and_a_silo_that_joins_later_too()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, ReplicaTimeoutMs = 5000, RequestTimeoutMs = 10000 });
        await using var client = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, 60).Select(i => $"one-client-{i}").ToList();
        var coordinators = new HashSet<string>();
        foreach (var k in keys)
        {
            await client.PutAsync(k, "v-" + k);
            coordinators.Add((await client.GetAsync(k)).Coordinator);
        }
        Assert.Equal(3, coordinators.Count);
        Assert.Equal(1, client.OrleansClientsBuilt);
        Assert.Equal(0, cluster.Running.Sum(s => s.Runtime.Counters.Get(CounterNames.Forwarded)));

        // A fourth silo joins: once the client's ring shows it up, the keys it heads reach it through the same Orleans
        // client, entering at its own gateway (it starts with a small share of them, growing over 30 s).
        await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        await cluster.WaitForTransfersAsync(TimeSpan.FromSeconds(60));
        await TestCluster.WaitUntilAsync(async () => (await client.RefreshRingAsync()).Silos.Count(s => s.Status == ClusterSilo.StatusUp) == 4,
            TimeSpan.FromSeconds(30), "the client's ring to show four silos up");
        var ring = client.CurrentRing!;
        string key = Enumerable.Range(0, 1000).Select(i => $"joined-{i}").First(k => ring.PreferenceList("default", k)[0].Name == "silo3");
        await client.PutAsync(key, "v");
        await TestCluster.WaitUntilAsync(async () => (await client.GetAsync(key)).Coordinator == "silo3",
            TimeSpan.FromSeconds(60), "silo3 to coordinate a get of a key it heads");
        Assert.Equal(1, client.OrleansClientsBuilt);
    }

    [Fact]
    public async Task A_killed_coordinator_is_skipped_and_its_gateway_connection_opened_again_after_restart()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, ReplicaTimeoutMs = 5000, RequestTimeoutMs = 10000 });
        await using var client = await cluster.CreateClientAsync(o => (o.MarkDownDuration, o.RequestTimeout) = (TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(3)));
        var ring = await client.RefreshRingAsync();
        // A key coordinated by silo2 while it is up.
        string key = Enumerable.Range(0, 1000).Select(i => $"k{i}").First(k => ring.PreferenceList("default", k)[0].Name == "silo2");
        await client.PutAsync(key, "before");
        Assert.Equal("silo2", (await client.GetAsync(key)).Coordinator);

        await cluster.KillSiloAsync("silo2");
        // The next silo of the preference list takes the key's requests. (In this process a killed silo's open
        // connections can stay half-open, with no OS to close them as kill -9 does, so a request already on one may
        // time out first; KillDuringWritesTests kills real processes and checks that no request fails.)
        await TestCluster.WaitUntilAsync(async () =>
        {
            try
            {
                await client.PutAsync(key, "during", (await client.GetAsync(key)).Context);
                return (await client.GetAsync(key)).Coordinator != "silo2";
            }
            catch (DynamoException e) when (e.Kind is DynamoErrorKind.Timeout or DynamoErrorKind.Unavailable)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "another silo of the preference list to coordinate silo2's key");

        await cluster.RestartSiloAsync("silo2");
        await TestCluster.WaitUntilAsync(async () =>
        {
            try
            {
                return (await client.GetAsync(key)).Coordinator == "silo2";
            }
            catch (DynamoException e) when (e.Kind is DynamoErrorKind.Timeout or DynamoErrorKind.Unavailable)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "silo2 to coordinate its key again, through a new connection to its gateway");
        Assert.Equal("during", Assert.Single((await client.GetAsync(key)).Siblings).ValueAsString);
    }
}
