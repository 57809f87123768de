using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>
/// A real crash on the SQLite table, across processes: silo-0 runs in a child process, silo-1 and
/// silo-2 in this one, all on one file. silo-0 is SIGKILLed: its row still says Active, so the two
/// survivors must probe, vote and declare it Dead in the table themselves (the votes in its row are
/// theirs), within a bounded time, while a client keeps being served. It restarts on the same ports
/// as a new incarnation, rejoins, and serves the client.
/// </summary>
[Collection(OrleansSilosCollection.Name)]
public sealed class SiloCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Keys = 12;
    private static readonly TimeSpan JoinBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DeathBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CallBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_crashed_silo_process_is_voted_dead_by_the_others_and_rejoins_on_its_ports()
    {
        var options = new ClusteringOptions { Mode = ClusteringModes.Sqlite, SqlitePath = _directory.File("cluster.db") };
        var cluster = new ClusterIdentity("crash-" + Guid.NewGuid().ToString("N")[..8], "service");
        var ports = FreePorts.Take(6);
        var victimEndpoints = new SiloEndpoints(ports[0], ports[1]);
        var table = new SqliteMembershipTable(new SqliteClusteringDatabase(options.SqlitePath!, BusyTimeout), cluster.ClusterId);
        var ticks = new Grains.ReminderTickLog();

        var victim = await SiloProcess.StartAsync("silo-0", victimEndpoints, options.SqlitePath!, cluster);
        try
        {
            await using var silo1 = await TestSilo.StartAsync("silo-1", options, cluster, new SiloEndpoints(ports[2], ports[3]), ticks);
            await using var silo2 = await TestSilo.StartAsync("silo-2", options, cluster, new SiloEndpoints(ports[4], ports[5]), ticks);
            TestSilo[] survivors = [silo1, silo2];
            await WaitUntilActiveAsync(survivors, [victim.Address, silo1.Address, silo2.Address]);
            await using var client = await TestClient.StartAsync(options, cluster);
            var keys = Enumerable.Range(0, Keys).Select(i => (long)i).ToArray();
            await GrainCalls.AllAnswerAsync(client.Client, keys, CallBound, "the client");

            var dead = victim.Address;
            await victim.CrashAsync();
            var detected = await Eventually.Until($"silo-1 and silo-2 to see the crashed {dead} as Dead", DeathBound, () =>
                survivors.Select(s => (s.Name, Status: s.Membership.GetSiloStatus(dead))).FirstOrDefault(x => x.Status != SiloStatus.Dead) is { Name: not null } x
                    ? $"{x.Name} sees it {x.Status}"
                    : null);
            output.WriteLine($"silo-0 ({dead}) SIGKILLed; declared Dead by the others after {detected}");

            var row = (await table.ReadRowAsync(dead)).Members.Single().Item1;
            Assert.Equal(SiloStatus.Dead, row.Status);
            Assert.NotNull(row.SuspectTimes);
            Assert.NotEmpty(row.SuspectTimes);
            var survivorAddresses = survivors.Select(s => s.Address).ToHashSet();
            Assert.All(row.SuspectTimes, vote => Assert.Contains(vote.Item1, survivorAddresses));

            var afterCrash = await GrainCalls.AllAnswerAsync(client.Client, keys, CallBound, "the client after the crash");
            Assert.DoesNotContain("silo-0", afterCrash.Values);

            victim = await SiloProcess.StartAsync("silo-0", victimEndpoints, options.SqlitePath!, cluster);
            Assert.Equal(dead.Endpoint, victim.Address.Endpoint);
            Assert.True(victim.Address.Generation > dead.Generation, $"new generation {victim.Address.Generation} after {dead.Generation}");
            output.WriteLine($"silo-0 rejoined as {victim.Address} after {await WaitUntilActiveAsync(survivors, [victim.Address, silo1.Address, silo2.Address])}");

            // The client finds the new gateway in the table and reaches grains placed on silo-0 again.
            var nextKey = (long)Keys;
            await Eventually.Until("a client call to be served by the restarted silo-0", CallBound, async () =>
            {
                var fresh = Enumerable.Range(0, Keys).Select(i => nextKey + i).ToArray();
                nextKey += Keys;
                var answers = await GrainCalls.AllAnswerAsync(client.Client, fresh, CallBound, "the client after the rejoin");
                return answers.Values.Contains("silo-0") ? null : $"answered by {string.Join(", ", answers.Values.Distinct())}";
            });
        }
        catch
        {
            output.WriteLine("silo-0 process output:\n" + victim.Output);
            throw;
        }
        finally
        {
            await victim.DisposeAsync();
        }
    }

    private static Task<TimeSpan> WaitUntilActiveAsync(IReadOnlyList<TestSilo> observers, IReadOnlyList<SiloAddress> expected) =>
        Eventually.Until($"[{string.Join(", ", expected)}] to be exactly the Active silos", JoinBound, () =>
        {
            foreach (var observer in observers)
            {
                var active = observer.Membership.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
                if (!active.SetEquals(expected)) return $"{observer.Name} sees Active [{string.Join(", ", active)}]";
            }
            return null;
        });
}
