using System.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Three real silo processes keeping Orleans membership in a real <c>redis-server</c> (Clustering:Mode=redis):
/// puts and gets work; silo1 is killed with SIGKILL and the other two still serve W=2 puts and R=2 gets; it
/// restarts on the same ports and data and every silo sees it up again.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class RedisClusterKillTests(ITestOutputHelper output)
{
    private const int Puts = 30;

    [Fact]
    public async Task Silos_clustered_in_redis_serve_through_a_kill_and_the_killed_silo_rejoins()
    {
        var clock = Stopwatch.StartNew();
        await using var redis = await RedisServerProcess.StartAsync();
        Step(clock, $"redis-server up on port {redis.Port}");
        await using var cluster = RealCluster.Redis("redis", redis.ConnectionString, "--Silo:PartitionCount=64");
        var silos = cluster.AddLocalCluster(3);
        await cluster.RunAsync(output, async () =>
        {
            try
            {
                foreach (var s in silos) cluster.Start(s);
                await cluster.WaitForUpAsync(silos, silos);
                Step(clock, "three silos up");

                await using var client = await cluster.ConnectAsync();
                var before = await Workload.WriteAsync(client, "before", Puts, workers: 2, TimeSpan.FromSeconds(30), TimeSpan.Zero);
                Assert.True(before.Acked.Count == Puts, $"{before.Acked.Count} of {Puts} puts acknowledged with every silo up: {before.FailureSample()}");
                var problems = await Workload.CheckReadableAsync(client, before.Acked);
                Assert.True(problems.Count == 0, $"{problems.Count} keys not readable with every silo up: {string.Join(" | ", problems.Take(5))}");
                Step(clock, $"{Puts} puts and gets with every silo up");

                var round = await KillRounds.KillServeRestartAsync(cluster, client, silos[0], Puts, what => Step(clock, what));

                var acked = before.Acked.Concat(round.Writes.Acked).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                var lost = await Workload.CheckReadableAsync(client, acked);
                Assert.True(lost.Count == 0, $"{lost.Count} of {acked.Count} acknowledged writes not readable with R=2 at the end: {string.Join(" | ", lost.Take(5))}");
                Step(clock, $"all {acked.Count} acknowledged keys readable with R=2");
                if (KillRounds.Unserved([round]) is { } unserved)
                    Assert.Fail($"with one of three silos killed the other two must serve every put (W=2) and get (R=2):\n{unserved}");
            }
            catch
            {
                output.WriteLine("===== redis-server =====\n" + redis.Output);
                throw;
            }
        });
    }

    private void Step(Stopwatch clock, string what) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {what}");
}
