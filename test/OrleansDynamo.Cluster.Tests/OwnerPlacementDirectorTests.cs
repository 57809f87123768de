using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using OrleansDynamo.Silo.Placement;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>A grain pinned by the Dynamo owner placement: it tells where it runs.</summary>
[Alias("od.test.IOwnerPinnedGrain")]
public interface IOwnerPinnedGrain : IGrainWithStringKey
{
    [Alias("where")]
    Task<string> WhereAsync();
}

[DynamoOwnerPlacement]
public sealed class OwnerPinnedGrain(ILocalSiloDetails silo) : Grain, IOwnerPinnedGrain
{
    public Task<string> WhereAsync() => Task.FromResult(silo.Name);
}

/// <summary>
/// Issue 14: the Dynamo owner placement director alone, on Orleans' own in-process test cluster (plain silos, no
/// store): a grain runs on the silo its key names, and a killed owner's grain fails at once rather than moving.
/// </summary>
public sealed class OwnerPlacementDirectorTests
{
    [Fact]
    public async Task Grains_run_on_the_silo_their_key_names_and_a_killed_owners_grain_fails_fast_instead_of_moving()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) => silo.Services.AddPlacementDirector<DynamoOwnerPlacement, DynamoOwnerPlacementDirector>());
        await using var cluster = builder.Build();
        await cluster.DeployAsync();

        var names = cluster.GetActiveSilos().Select(s => s.Name).ToList();
        Assert.Equal(3, names.Distinct().Count());
        foreach (var name in names)
        {
            for (int i = 0; i < 10; i++)
                Assert.Equal(name, await cluster.Client.GetGrain<IOwnerPinnedGrain>(GrainKeys.Replica(i, name)).WhereAsync());
        }

        var victim = cluster.GetActiveSilos().Last();
        await cluster.KillSiloAsync(victim);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (cluster.GetSiloServiceProvider(cluster.GetActiveSilos().First().SiloAddress).GetRequiredService<IClusterMembershipService>()
                   .CurrentSnapshot.GetSiloStatus(victim.SiloAddress) == SiloStatus.Active)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{victim.Name} still active 60 s after it was killed");
            await Task.Delay(100);
        }

        var started = DateTime.UtcNow;
        var error = await Assert.ThrowsAsync<OwnerUnavailableException>(() =>
            cluster.Client.GetGrain<IOwnerPinnedGrain>(GrainKeys.Replica(99, victim.Name)).WhereAsync());
        Assert.Equal(victim.Name, error.Owner);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"the call took {(DateTime.UtcNow - started).TotalMilliseconds:0} ms");
        foreach (var name in names.Where(n => n != victim.Name))
            Assert.Equal(name, await cluster.Client.GetGrain<IOwnerPinnedGrain>(GrainKeys.Replica(99, name)).WhereAsync());
    }
}
