using OrleansDynamo.Silo.Grains;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 14: each silo's background work runs on grain timers in a grain kept alive by an Orleans reminder, and
/// goes on after silos die and restart, whichever silo held the reminders.
/// </summary>
public sealed class BackgroundWorkTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Reminders_keep_firing_and_background_work_goes_on_after_a_silo_is_killed_and_restarted()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = 16,
            Configure = (_, o) => o.BackgroundReminderPeriodMs = 1500,
        });
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => Ticks(s) >= 1)), Bound, "a reminder tick on every silo");

        await cluster.KillSiloAsync("silo0");
        var survivors = cluster.Running.ToList();
        var ticks = survivors.ToDictionary(s => s.Name, Ticks);
        var gossip = survivors.ToDictionary(s => s.Name, s => s.Runtime.Membership.GossipRounds);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(survivors.All(s => Ticks(s) >= ticks[s.Name] + 2 && s.Runtime.Membership.GossipRounds > gossip[s.Name] + 5)),
            Bound, "reminder ticks and gossip rounds on both survivors after silo0 was killed");

        await cluster.RestartSiloAsync("silo0");
        var restarted = cluster.Silo("silo0");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Ticks(restarted) >= 1 && restarted.Runtime.Membership.GossipRounds > 5),
            Bound, "silo0's reminder and background work after its restart");
        // Every loop of a few seconds' interval runs on every silo (the 15 s grain-deactivation loop is left out for time).
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => s.Runtime.Loops.Where(l => l.Interval <= TimeSpan.FromSeconds(5)).All(l => l.Rounds > 0))),
            Bound, "every short background loop to run on every silo");
        foreach (var s in cluster.Running)
            output.WriteLine($"{s.Name}: {Ticks(s)} reminder ticks, {s.Runtime.Membership.GossipRounds} gossip rounds, " +
                string.Join(", ", s.Runtime.Loops.Select(l => $"{l.Name}={l.Rounds}")));
    }

    private static long Ticks(TestSilo silo) => silo.Runtime.Counters.Get(SiloWorkGrain.TicksCounter);
}
