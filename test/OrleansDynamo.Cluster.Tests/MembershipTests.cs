using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OrleansDynamo.Client;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Membership;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issues 5 and 14: the ring's membership is gossiped between the silos Orleans cluster membership lists
/// (no seeds to configure); convergence, another cluster kept out, local failure judgement, join, restart.
/// </summary>
public sealed class MembershipTests(ITestOutputHelper output)
{
    private static void TuneDetector(int _, Silo.Hosting.SiloOptions o)
    {
        o.FailureDetection.AcceptablePauseMs = 600;
        o.FailureDetection.MinStdDevMs = 100;
    }

    [Fact]
    public async Task A_membership_check_takes_a_newer_history_from_a_member_and_passes_over_and_suspects_one_that_does_not_answer()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var asker = cluster[0].Runtime;

        // A change silo0 has not heard of by gossip: its check asks silo1 and silo2 and takes it.
        cluster.Links.HoldMembership("silo0");
        Assert.True(await cluster[1].Runtime.Membership.DefineBucketAsync(new BucketSettings("checked", N: 2, R: 1, W: 1), CancellationToken.None));
        Assert.False(asker.Membership.State.Buckets.ContainsKey("checked"));
        Assert.True(await asker.Membership.CatchUpAsync(CancellationToken.None));
        Assert.True(asker.Membership.State.Buckets.ContainsKey("checked"));
        Assert.Equal(cluster[1].Runtime.Membership.History.Digest, asker.Membership.History.Digest);
        Assert.Equal(1, asker.Counters.Get(Silo.Diagnostics.CounterNames.MembershipCaughtUp));

        // Nothing new: no history grows. A member that cannot be reached is passed over, and suspected, so the next
        // check does not ask it again until it shows a sign of life.
        // (A gossip call silo2 sent just before the cut may still land on silo0 after the check and count as a sign of
        // life: then the next check asks silo2 again, and once nothing sent before the cut is in flight it stays suspected.)
        cluster.Cut("silo0", "silo2");
        await TestCluster.WaitUntilAsync(async () => !await asker.Membership.CatchUpAsync(CancellationToken.None) && !asker.Detector.IsReachable("silo2"),
            TimeSpan.FromSeconds(10), "a check that passes over silo2 and leaves it suspected");
        Assert.True(asker.Detector.IsReachable("silo1"));
        Assert.Equal(1, asker.Counters.Get(Silo.Diagnostics.CounterNames.MembershipCaughtUp));
    }

    [Fact]
    public async Task Five_silos_meet_through_cluster_membership_and_converge_to_one_ring_within_ten_gossip_rounds()
    {
        // No silo is given a seed: each gossips with the active silos Orleans membership lists.
        // Rounds are counted from the moment the last silo is up: on a loaded machine a silo's start
        // can take several rounds of its neighbours, which says nothing about gossip.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 5, WaitForConvergence = false });
        var silos = cluster.Silos.Select(s => s.Runtime).ToList();
        var roundsAtStart = silos.ToDictionary(s => s.Name, s => s.Membership.GossipRounds);
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(30));
        var reference = silos[0].Membership.State;
        foreach (var s in silos)
        {
            Assert.Equal(silos[0].Membership.History.Digest, s.Membership.History.Digest);
            Assert.Equal(reference.Ring!.Owners.ToArray(), s.Membership.State.Ring!.Owners.ToArray());
            Assert.Equal(5, s.Membership.State.Ring!.Members.Length);
        }
        long rounds = silos.Max(s => Math.Max(0, s.Membership.LastChangeRound - roundsAtStart[s.Name]));
        output.WriteLine($"converged in {rounds} gossip rounds after the last silo started (last history change per silo, in its own rounds since then: " +
            $"{string.Join(", ", silos.Select(s => $"{s.Name}={Math.Max(0, s.Membership.LastChangeRound - roundsAtStart[s.Name])}"))})");
        Assert.InRange(rounds, 0, 10);
    }

    [Fact]
    public async Task A_silo_of_another_cluster_on_the_same_membership_table_never_meets_this_one_and_stays_out_of_the_ring()
    {
        // Orleans keeps clusters apart by cluster id (the cluster name), even on one shared table.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2 });
        var stranger = await cluster.AddSiloAsync(o => o.ClusterName = "elsewhere");
        var host = cluster[0].Runtime;
        long hostRounds = host.Membership.GossipRounds;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(stranger.Runtime.Membership.GossipRounds >= 10 && host.Membership.GossipRounds >= hostRounds + 10),
            TimeSpan.FromSeconds(15), "ten gossip rounds on both sides");
        foreach (var silo in new[] { cluster[0], cluster[1] })
        {
            Assert.DoesNotContain(stranger.Name, OrleansMembers(silo));
            Assert.Null(silo.Runtime.Membership.State.Member(stranger.Name));
            Assert.DoesNotContain(stranger.Name, silo.Runtime.Membership.State.Ring!.Members.Select(m => m.Name));
        }
        Assert.Equal([stranger.Name], OrleansMembers(stranger));
        Assert.Null(stranger.Runtime.Membership.State.Member("silo0"));
        var client = await cluster.CreateClientAsync(null, "silo0", "silo1");
        await client.PutAsync("default", "still-served", "v");
    }

    private static List<string> OrleansMembers(TestSilo silo) =>
        silo.App!.Services.GetRequiredService<Orleans.Runtime.IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Where(m => m.Status == Orleans.Runtime.SiloStatus.Active).Select(m => m.Name).ToList();

    [Fact]
    public async Task A_silo_cut_off_is_marked_unreachable_within_the_detection_time_and_up_again_after_healing()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 4, Configure = TuneDetector });
        var client = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.Server, "silo0", "silo1", "silo2");
        await client.PutAsync("default", "before", "1");
        var others = cluster.Silos.Where(s => s.Name != "silo3").ToList();

        var cutAt = DateTime.UtcNow;
        foreach (var other in others) cluster.Cut("silo3", other.Name);
        // Orleans membership still sees silo3 alive (only Dynamo's calls are cut): the verdict comes from failed calls,
        // gossip's round-robin reaches every peer within one pass; allow a wide margin on a busy machine.
        var detectionBound = TimeSpan.FromSeconds(8);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(others.All(o => !o.Runtime.Detector.IsReachable("silo3"))), detectionBound, "silo3 to be seen unreachable");
        var detected = DateTime.UtcNow - cutAt;
        Assert.All(others, o => Assert.Equal(MemberStatus.Up, o.Runtime.Membership.State.Member("silo3")!.Status)); // not removed from the ring
        Assert.Contains("silo3", others[0].Runtime.Membership.State.Ring!.Members.Select(m => m.Name));

        // The test's client is not cut from silo3, so requests go through the other silos' coordinators.
        for (int i = 0; i < 20; i++)
        {
            var coordinator = others[i % others.Count].Runtime.Coordinator;
            await coordinator.PutAsync(new PutCommand("default", $"during-{i}", Encoding.UTF8.GetBytes($"v{i}"), null, W: 2), CancellationToken.None);
            var got = await others[(i + 1) % others.Count].Runtime.Coordinator.GetAsync(new GetCommand("default", $"during-{i}", R: 2), CancellationToken.None);
            Assert.Equal($"v{i}", Encoding.UTF8.GetString(Assert.Single(got.Siblings).Value));
        }
        Assert.True((await others[1].Runtime.Coordinator.GetAsync(new GetCommand("default", "before", R: 2), CancellationToken.None)).Found);
        var status = await client.GetStatusAsync(cluster[0].GrpcAddress);

        cluster.HealAll();
        var healedAt = DateTime.UtcNow;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(others.All(o => o.Runtime.Detector.IsReachable("silo3")) &&
                cluster.Silo("silo3").Runtime.Detector.Unreachable.Count == 0),
            TimeSpan.FromSeconds(10), "silo3 to be seen up again");
        output.WriteLine($"cut silo3 seen unreachable by all others after {detected.TotalMilliseconds:0} ms; seen up again {(DateTime.UtcNow - healedAt).TotalMilliseconds:0} ms after healing");
        Assert.Equal("unreachable", status.Silos.Single(s => s.Name == "silo3").Status);
    }

    [Fact]
    public async Task A_stopped_silo_is_judged_unreachable_and_up_again_after_its_restart()
    {
        // A graceful stop leaves Orleans membership at once; the restart is a new incarnation that clears the verdict.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var detector = cluster[0].Runtime.Detector;
        Assert.True(detector.IsReachable("silo2"));
        await cluster.StopSiloAsync("silo2");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(!detector.IsReachable("silo2")), TimeSpan.FromSeconds(8), "silo2 judged unreachable");
        await cluster.RestartSiloAsync("silo2");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(detector.IsReachable("silo2")), TimeSpan.FromSeconds(10), "silo2 seen up after restart");
    }

    [Fact]
    public async Task A_silo_without_auto_join_joins_through_the_join_command_and_leaves_through_leave()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var fresh = await cluster.AddSiloAsync(o => o.AutoJoin = false);
        Assert.Null(cluster[0].Runtime.Membership.State.Member(fresh.Name));
        var client = await cluster.CreateClientAsync(null, "silo0");
        string message = await client.JoinAsync(cluster[0].GrpcAddress, fresh.GrpcAddress);
        Assert.Contains("joined", message);
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(4, cluster[0].Runtime.Membership.State.Ring!.Members.Length);

        await client.LeaveAsync(fresh.Name);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silos.Take(3).All(s => s.Runtime.Membership.State.Member(fresh.Name)?.Status == MemberStatus.Left)),
            TimeSpan.FromSeconds(20), $"{fresh.Name} to leave");
        var status = await client.GetStatusAsync(cluster[0].GrpcAddress);
        Assert.Equal("left", status.Silos.Single(s => s.Name == fresh.Name).Status);
        Assert.Equal(3, cluster[0].Runtime.Membership.State.Ring!.Members.Length);
    }

    [Fact]
    public async Task A_join_keeps_trying_a_seed_it_cannot_reach_at_first()
    {
        // A silo that has just started may not reach its seed yet (its first gossip has not told it the seed's silo).
        // The join tries again instead of failing: here its first two calls to the seed are refused.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var fresh = await cluster.AddSiloAsync(o => o.AutoJoin = false);
        cluster.Links.CutFor(fresh.Name, cluster[0].GrpcAddress, calls: 2);
        var client = await cluster.CreateClientAsync(null, "silo0");

        string message = await client.JoinAsync(cluster[0].GrpcAddress, fresh.GrpcAddress);

        Assert.Contains("joined", message);
        Assert.Equal(0, cluster.Links.CutCallsLeft(fresh.Name, cluster[0].GrpcAddress));
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(4, cluster[0].Runtime.Membership.State.Ring!.Members.Length);
    }

    [Fact]
    public async Task A_join_whose_seed_stays_unreachable_fails_naming_the_seed_and_records_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2 });
        var fresh = await cluster.AddSiloAsync(o => o.AutoJoin = false);
        cluster.Cut(fresh.Name, cluster[0].GrpcAddress, oneWay: true);
        // The SDK's default request timeout (as the CLI has it), no longer than the silo's patience with its seed: the
        // join still gets the silo's answer, not the caller's deadline.
        var client = await cluster.CreateClientAsync(o => o.RequestTimeout = DynamoClientOptions.DefaultRequestTimeout, "silo0");
        Assert.True(DynamoClientOptions.DefaultRequestTimeout <= OrleansDynamo.Protocol.Limits.JoinTimings.SeedPatience);

        var started = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<DynamoException>(() => client.JoinAsync(cluster[0].GrpcAddress, fresh.GrpcAddress));

        Assert.Equal(DynamoErrorKind.Unavailable, error.Kind);
        Assert.Contains($"could not reach the seed {cluster[0].GrpcAddress}", error.Message);
        // It kept trying for its patience (5 s), not one call.
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(4.5), $"gave up after {started.Elapsed.TotalMilliseconds:0} ms");
        Assert.NotEqual(MemberStatus.Up, fresh.Runtime.Membership.State.Member(fresh.Name)?.Status);
        Assert.All(cluster.Silos.Take(2), s => Assert.NotEqual(MemberStatus.Up, s.Runtime.Membership.State.Member(fresh.Name)?.Status));
    }

    [Fact]
    public async Task A_restarted_silo_keeps_membership_and_ring_from_disk_and_rejoins()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 3 });
        var ringBefore = cluster[2].Runtime.Membership.State.Ring!;
        await cluster.StopSiloAsync("silo2");
        // A change made while silo2 is down must reach it by gossip with the peers it remembers.
        await cluster[0].Runtime.Membership.DefineBucketAsync(new BucketSettings("later", 3, 2, 2), CancellationToken.None);
        await cluster.RestartSiloAsync("silo2");
        var restarted = cluster.Silo("silo2").Runtime;
        Assert.Equal(ringBefore.Owners.ToArray(), restarted.Membership.State.Ring!.Owners.ToArray());
        Assert.Equal(3, restarted.Membership.State.Members.Count);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(restarted.Membership.State.Buckets.ContainsKey("later") &&
                cluster[0].Runtime.Detector.IsReachable("silo2") && cluster[1].Runtime.Detector.IsReachable("silo2")),
            TimeSpan.FromSeconds(10), "silo2 to rejoin by gossip");
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(10));
        var client = await cluster.CreateClientAsync();
        await client.PutAsync("later", "k", "v", options: new PutOptions { W = 3 });
    }

    [Fact]
    public async Task A_silo_that_stopped_after_learning_the_history_but_before_its_join_was_recorded_joins_when_it_restarts()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2 });
        var fresh = await cluster.AddSiloAsync(o => o.AutoJoin = false);
        // It learns the cluster's history and stores it, with no join of its own: where a silo that crashed between its
        // first gossip with a seed and its join record stands (the simulation's seed 102 found it).
        Assert.True(await fresh.Runtime.Membership.GossipWithAsync("silo0", CancellationToken.None));
        Assert.Equal(2, fresh.Runtime.Membership.State.Members.Count);
        Assert.Null(fresh.Runtime.Membership.State.Member(fresh.Name));

        await cluster.StopSiloAsync(fresh.Name);
        fresh.Options.AutoJoin = true;
        await cluster.RestartSiloAsync(fresh.Name);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silos.All(s => s.Runtime.Membership.State.Member(fresh.Name)?.Status == MemberStatus.Up)),
            TimeSpan.FromSeconds(15), $"{fresh.Name} to join after its restart");
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(3, cluster[0].Runtime.Membership.State.Ring!.Members.Length);
    }
}
