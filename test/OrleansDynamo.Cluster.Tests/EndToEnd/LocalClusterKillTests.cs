using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// The README's local cluster (<c>silo-config/local-cluster/silo{1,2,3}.json</c>, SQLite clustering, N=3 R=2 W=2,
/// the shipped settings apart from ports, data directories and the cluster file) as real processes: silo1, then
/// silo2, then silo3 is killed with SIGKILL; each time the other two serve puts and gets, and the killed silo
/// restarts into the cluster before the next kill. Silo1 is not special: no primary silo holds the membership.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class LocalClusterKillTests(ITestOutputHelper output)
{
    private const int PutsPerRound = 30;

    [Fact]
    public async Task Each_silo_of_the_local_cluster_in_turn_is_killed_the_others_serve_and_it_rejoins()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = RealCluster.Sqlite("local");
        var silos = cluster.AddLocalCluster(3);
        await cluster.RunAsync(output, async () =>
        {
            foreach (var s in silos) cluster.Start(s);
            await cluster.WaitForUpAsync(silos, silos);
            Step(clock, "three silos up");

            await using var client = await cluster.ConnectAsync();
            var before = await Workload.WriteAsync(client, "before", PutsPerRound, workers: 2, TimeSpan.FromSeconds(30), TimeSpan.Zero);
            Assert.True(before.Acked.Count == PutsPerRound, $"{before.Acked.Count} of {PutsPerRound} puts acknowledged with every silo up: {before.FailureSample()}");
            var acked = new Dictionary<string, string>(before.Acked, StringComparer.Ordinal);

            var rounds = new List<KillRound>();
            foreach (var victim in silos)
            {
                var round = await KillRounds.KillServeRestartAsync(cluster, client, victim, PutsPerRound, what => Step(clock, what));
                rounds.Add(round);
                foreach (var (k, v) in round.Writes.Acked) acked[k] = v;
            }

            var lost = await Workload.CheckReadableAsync(client, acked);
            Assert.True(lost.Count == 0, $"{lost.Count} of {acked.Count} acknowledged writes not readable with R=2 at the end: {string.Join(" | ", lost.Take(5))}");
            Step(clock, $"all {acked.Count} acknowledged keys readable with R=2");
            if (KillRounds.Unserved(rounds) is { } unserved)
                Assert.Fail($"with one of three silos killed the other two must serve every put (W=2) and get (R=2):\n{unserved}");
        });
    }

    private void Step(Stopwatch clock, string what) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {what}");
}
