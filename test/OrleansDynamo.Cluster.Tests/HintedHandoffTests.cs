using System.Diagnostics;
using OrleansDynamo.Client;
using OrleansDynamo.Silo.Hints;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 6: hints are durable, follow a persisted schedule, expire, and are bounded per target.</summary>
public sealed class HintedHandoffTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Hints_and_their_schedule_survive_a_restart_of_the_stand_in_and_are_delivered_afterwards()
    {
        await using var cluster = await TestCluster.StartAsync(Options(5));
        const string key = "cart-dave";
        var pl = cluster.PreferenceList("default", key, 3);
        string down = pl[1];
        await cluster.StopSiloAsync(down);
        await WaitUnreachableAsync(cluster, pl[0], down);

        var client = await cluster.CreateClientAsync();
        await client.PutAsync("default", key, "[kettle]", options: new PutOptions { W = 2 });
        string? holder = null;
        await TestCluster.WaitUntilAsync(async () =>
        {
            foreach (var s in cluster.Running)
            {
                if (await HintsForAsync(cluster, s.Name, down) > 0) holder = s.Name;
            }
            return holder is not null;
        }, Bound, $"a hint for {down}");

        // Delivery is tried and fails while the target is down: the schedule on disk backs off.
        HintScheduleEntry persisted = default;
        await TestCluster.WaitUntilAsync(async () =>
        {
            var bytes = await cluster.Silo(holder!).Runtime.Store.Metadata.GetAsync(HintSchedule.MetadataKey);
            if (bytes is null) return false;
            persisted = HintSchedule.Decode(bytes).EntryOf(down);
            return persisted.Failures >= 2;
        }, Bound, "the persisted schedule to record failed attempts");

        await cluster.RestartSiloAsync(holder!);
        Assert.Equal(1, await HintsForAsync(cluster, holder!, down));
        var handoff = cluster.Silo(holder!).Runtime.Feature<HintedHandoff>()!;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(handoff.Status().Rounds >= 1), Bound, "a delivery round after the restart");
        Assert.True(handoff.Status().Schedule[down].Failures >= persisted.Failures, "the backoff resumes from the persisted schedule");
        Assert.Equal(1, await HintsForAsync(cluster, holder!, down));

        var restarted = Stopwatch.StartNew();
        await cluster.RestartSiloAsync(down);
        // The delivery counter is bumped after the hint rows are deleted: wait for the count too, not only the rows.
        await TestCluster.WaitUntilAsync(async () => await StoreHoldsAsync(cluster, down, key, "[kettle]") && await HintsForAsync(cluster, holder!, down) == 0
                && cluster.Silo(holder!).Runtime.Counters.Get("hints_delivered:" + down) >= 1,
            Bound, $"the hint delivered to {down} and counted");
        output.WriteLine($"hint delivered {restarted.ElapsedMilliseconds} ms after the target restarted (max backoff 1000 ms)");
        Assert.Equal(1, cluster.Silo(holder!).Runtime.Counters.Get("hints_delivered:" + down));
    }

    [Fact]
    public async Task Hints_older_than_the_maximum_age_are_dropped_and_counted()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) => o.Hints.MaxAgeMs = 500));
        await cluster.StopSiloAsync("silo2");
        var client = await cluster.CreateClientAsync();
        await client.PutAsync("default", "old", "v", options: new PutOptions { W = 2 });
        await TestCluster.WaitUntilAsync(async () =>
            await AllHintsAsync(cluster) == 0 && cluster.Running.Sum(s => s.Runtime.Counters.Get("hints_dropped:silo2")) == 1,
            Bound, "the expired hint dropped");
        Assert.Equal(1, cluster.Running.Sum(s => s.Runtime.Counters.Get("hints_stored:silo2")));
        Assert.Equal(0, cluster.Running.Sum(s => s.Runtime.Counters.Get("hints_delivered")));
    }

    [Fact]
    public async Task The_backlog_per_target_is_bounded_and_what_is_over_it_is_dropped_and_counted()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) => o.Hints.MaxHintsPerTarget = 2));
        await cluster.StopSiloAsync("silo2");
        var client = await cluster.CreateClientAsync();
        const int puts = 6;
        for (int i = 0; i < puts; i++) await client.PutAsync("default", "bounded-" + i, "v", options: new PutOptions { W = 2 });

        long Dropped() => cluster.Running.Sum(s => s.Runtime.Counters.Get("hints_dropped:silo2"));
        await TestCluster.WaitUntilAsync(async () => await AllHintsAsync(cluster) + Dropped() == puts, Bound, "every put's hint stored or dropped");
        foreach (var s in cluster.Running) Assert.True(await HintsForAsync(cluster, s.Name, "silo2") <= 2, $"{s.Name} keeps at most 2 hints for silo2");
        Assert.True(Dropped() >= puts - 4, $"{Dropped()} hints dropped");
        Assert.Equal(Dropped(), cluster.Running.Sum(s => s.Runtime.Counters.Get("hints_dropped")));
    }
}
