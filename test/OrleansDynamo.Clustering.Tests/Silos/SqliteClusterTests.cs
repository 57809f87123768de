using Orleans;
using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>
/// Three real Orleans silos in this process on one SQLite membership file. A silo killed as Orleans'
/// TestingHost kills (its host stopped with an already-cancelled token) is Dead in every survivor's
/// membership within a bounded time, the survivors and a client keep serving grain calls, and it rejoins
/// on the same ports as a new incarnation and serves; twice, for two different silos. (In Orleans 10.4.2
/// such a stop still writes its own Dead row; <see cref="SiloCrashTests"/> covers a real crash.)
/// </summary>
[Collection(OrleansSilosCollection.Name)]
public sealed class SqliteClusterTests(ITestOutputHelper output) : IDisposable
{
    private const int Silos = 3;
    private const int KeysPerPhase = 12;
    private static readonly TimeSpan JoinBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DeathBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();
    private long _nextKey;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Three_silos_on_one_file_survive_a_kill_and_the_killed_silo_rejoins_twice()
    {
        var options = new ClusteringOptions { Mode = ClusteringModes.Sqlite, SqlitePath = _directory.File("cluster.db") };
        await using var cluster = new SiloCluster(options, Silos);
        var table = new SqliteMembershipTable(new SqliteClusteringDatabase(options.SqlitePath!, BusyTimeout), cluster.Identity.ClusterId);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await cluster.StartAllAsync();
        output.WriteLine($"[{clock.Elapsed}] three silos started");
        output.WriteLine($"all Active after {await cluster.WaitUntilAllActiveAsync(JoinBound)}");
        await using var client = await TestClient.StartAsync(options, cluster.Identity);
        var before = await GrainCalls.AllAnswerAsync(client.Client, NextKeys(), CallBound, "the client");
        output.WriteLine($"before: {string.Join(", ", before.GroupBy(a => a.Value).Select(g => $"{g.Key}={g.Count()}"))}");

        foreach (var victim in new[] { 0, 1 })
        {
            var victimName = SiloCluster.NameOf(victim);
            output.WriteLine($"[{clock.Elapsed}] killing {victimName}");
            var dead = await cluster.KillAsync(victim);
            var detected = await cluster.WaitUntilDeclaredDeadAsync(dead, DeathBound);
            output.WriteLine($"{victimName} ({dead}) killed; every survivor sees it Dead after {detected}");
            Assert.Equal(SiloStatus.Dead, (await table.ReadRowAsync(dead)).Members.Single().Item1.Status);

            // The survivors serve: grains that lived on the victim move, new grains activate.
            var oldKeys = before.Keys.ToList();
            var afterKill = await GrainCalls.AllAnswerAsync(client.Client, oldKeys, CallBound, "the client after the kill");
            Assert.DoesNotContain(victimName, afterKill.Values);
            foreach (var survivor in cluster.Running)
            {
                var fresh = await GrainCalls.AllAnswerAsync(survivor.Grains, NextKeys(), CallBound, survivor.Name);
                Assert.All(fresh.Values, name => Assert.Equal(survivor.Name, name));
                await GrainCalls.AllAnswerAsync(survivor.Grains, oldKeys, CallBound, $"{survivor.Name} (grains the client made)");
            }

            // It comes back on the same ports as a new incarnation and serves.
            output.WriteLine($"[{clock.Elapsed}] survivors served; restarting {victimName}");
            var back = await cluster.StartAsync(victim);
            Assert.Equal(dead.Endpoint, back.Address.Endpoint);
            Assert.True(back.Address.Generation > dead.Generation, $"new generation {back.Address.Generation} after {dead.Generation}");
            output.WriteLine($"{victimName} rejoined as {back.Address}; all Active after {await cluster.WaitUntilAllActiveAsync(JoinBound)}");
            foreach (var observer in cluster.Running)
                Assert.Equal(SiloStatus.Dead, observer.Membership.GetSiloStatus(dead));
            var served = await GrainCalls.AllAnswerAsync(back.Grains, NextKeys(), CallBound, back.Name);
            Assert.All(served.Values, name => Assert.Equal(victimName, name));
            before = await GrainCalls.AllAnswerAsync(client.Client, NextKeys(), CallBound, "the client after the rejoin");
            output.WriteLine($"[{clock.Elapsed}] {victimName} serves again");
        }

        var final = await table.ReadAllAsync();
        Assert.Equal(Silos, final.Members.Count(m => m.Item1.Status == SiloStatus.Active));
        Assert.Equal(2, final.Members.Count(m => m.Item1.Status == SiloStatus.Dead));
    }

    /// <summary>Grain keys never used before in this test.</summary>
    private long[] NextKeys()
    {
        var first = _nextKey;
        _nextKey += KeysPerPhase;
        return Enumerable.Range(0, KeysPerPhase).Select(i => first + i).ToArray();
    }
}
