using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using OrleansDynamo.Silo.Grains;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Placement;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 14: partition replicas are Orleans grains placed on the silo the Dynamo ring names, never elsewhere.</summary>
public sealed class PartitionPlacementTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_partition_replica_grain_runs_on_the_silo_the_ring_names()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, PartitionCount = 32 });
        var client = await cluster.CreateClientAsync();
        for (int i = 0; i < 40; i++) await client.PutAsync("default", $"k{i}", $"v{i}");

        var grains = cluster[0].App!.Services.GetRequiredService<IGrainFactory>();
        var ring = cluster[0].Runtime.Membership.State.Ring!;
        int asked = 0;
        for (int p = 0; p < ring.PartitionCount; p++)
        {
            foreach (var owner in ring.PreferenceListFor(p, 3).Primaries)
            {
                Assert.Equal(owner, await grains.GetGrain<IPartitionReplicaGrain>(GrainKeys.Replica(p, owner)).WhereAsync());
                asked++;
            }
        }

        // Orleans' own view of every activation (not only those asked above): each is on the silo its key names.
        var names = cluster[0].App!.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .ToDictionary(m => m.SiloAddress, m => m.Name);
        var stats = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var replicas = stats.Where(s => s.GrainType.Contains(nameof(PartitionReplicaGrain), StringComparison.Ordinal)).ToList();
        output.WriteLine($"asked {asked} replica grains; Orleans lists {replicas.Count} replica activations");
        Assert.True(replicas.Count >= asked);
        foreach (var activation in replicas)
            Assert.Equal(GrainKeys.OwnerOf(activation.GrainId.Key.ToString()!), names[activation.SiloAddress]);
    }

    [Fact]
    public async Task Status_reports_the_partition_replicas_each_silo_holds()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 4, PartitionCount = 32 });
        var client = await cluster.CreateClientAsync();
        var status = await client.GetStatusAsync(cluster[0].GrpcAddress);
        var ring = cluster[0].Runtime.Membership.State.Ring!;
        foreach (var silo in status.Silos)
            Assert.Equal(ring.PartitionsOf(silo.Name, 3).Count, silo.Replicas);
        Assert.Equal(32 * 3, status.Silos.Sum(s => s.Replicas));
    }

    [Fact]
    public async Task A_replica_of_a_stopped_silo_fails_fast_and_is_never_activated_elsewhere()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3, PartitionCount = 16 });
        await cluster.StopSiloAsync("silo2");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(!cluster[0].Runtime.Detector.IsReachable("silo2")), TimeSpan.FromSeconds(10), "silo2 seen down");

        var transport = cluster[0].Runtime.Transport;
        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<DynamoException>(() =>
            transport.SendAsync("silo2", new ReplicaRead(3, new("default", "k"), "silo0"), TimeSpan.FromSeconds(30), CancellationToken.None));
        Assert.Equal(DynamoErrorKind.Unavailable, error.Kind);
        // Fast: far inside the call's timeout (with room for a stall of the shared CI machine), not after it.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"the call took {(DateTime.UtcNow - started).TotalMilliseconds:0} ms");

        var grains = cluster[0].App!.Services.GetRequiredService<IGrainFactory>();
        var stats = await grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.DoesNotContain(stats, s => s.GrainType.Contains(nameof(PartitionReplicaGrain), StringComparison.Ordinal)
            && s.GrainId.Key.ToString()!.EndsWith("@silo2", StringComparison.Ordinal));
    }
}
