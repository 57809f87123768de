using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>
/// The <c>redis</c> mode end to end: a real redis-server (started for this class on a free loopback
/// port, persistence off, killed afterwards), three Orleans silos and a client clustered through it.
/// Grain calls are served; a killed silo is Dead to the others and they and the client keep serving.
/// </summary>
[Collection(OrleansSilosCollection.Name)]
public sealed class RedisClusterTests(RedisServerFixture redis, ITestOutputHelper output) : IClassFixture<RedisServerFixture>
{
    private const int Silos = 3;
    private const int Keys = 12;
    private static readonly TimeSpan JoinBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DeathBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Three_silos_on_redis_serve_and_survive_a_kill()
    {
        var options = new ClusteringOptions { Mode = ClusteringModes.Redis, RedisConnectionString = redis.Server.ConnectionString };
        await using var cluster = new SiloCluster(options, Silos);
        await cluster.StartAllAsync();
        output.WriteLine($"all Active after {await cluster.WaitUntilAllActiveAsync(JoinBound)}");
        await using var client = await TestClient.StartAsync(options, cluster.Identity);
        var keys = Enumerable.Range(0, Keys).Select(i => (long)i).ToArray();
        var before = await GrainCalls.AllAnswerAsync(client.Client, keys, CallBound, "the client");
        output.WriteLine($"before: {string.Join(", ", before.GroupBy(a => a.Value).Select(g => $"{g.Key}={g.Count()}"))}");

        var dead = await cluster.KillAsync(0);
        output.WriteLine($"silo-0 killed; Dead to the others after {await cluster.WaitUntilDeclaredDeadAsync(dead, DeathBound)}");

        var after = await GrainCalls.AllAnswerAsync(client.Client, keys, CallBound, "the client after the kill");
        Assert.DoesNotContain(SiloCluster.NameOf(0), after.Values);
        var survivors = cluster.Running;
        for (int i = 0; i < survivors.Count; i++)
        {
            var fresh = keys.Select(k => k + Keys * (i + 1)).ToArray();
            var served = await GrainCalls.AllAnswerAsync(survivors[i].Grains, fresh, CallBound, survivors[i].Name);
            Assert.All(served.Values, name => Assert.Equal(survivors[i].Name, name));
        }
        Assert.Equal(SiloStatus.Active, cluster[1].Membership.GetSiloStatus(cluster[2].Address));
    }
}
