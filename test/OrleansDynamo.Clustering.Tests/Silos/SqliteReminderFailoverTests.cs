using Orleans;
using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>
/// Orleans reminders kept in the SQLite reminder table outlive the silo that ran them: reminders whose
/// grains live on silo-0 and whose reminder-service owner is silo-0 keep ticking, on the other silos,
/// after silo-0 is killed.
/// </summary>
[Collection(OrleansSilosCollection.Name)]
public sealed class SqliteReminderFailoverTests(ITestOutputHelper output) : IDisposable
{
    private const int Silos = 3;
    private const int Grains = 2;
    private const int TicksBefore = 2;
    private const int TicksAfter = 2;
    private const int KeysToSearch = 1000;
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan JoinBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan TickBound = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Reminders_held_by_a_killed_silo_keep_firing_on_the_others()
    {
        var options = new ClusteringOptions { Mode = ClusteringModes.Sqlite, SqlitePath = _directory.File("cluster.db") };
        await using var cluster = new SiloCluster(options, Silos);
        await cluster.StartAllAsync();
        await cluster.WaitUntilAllActiveAsync(JoinBound);

        // Grains whose reminders silo-0's reminder service runs (the ring owner of the grain's hash, as
        // Orleans routes reminder calls), activated on silo-0 too (the grain prefers the calling silo).
        var holder = cluster[0];
        var keys = Enumerable.Range(0, KeysToSearch).Select(k => (long)k)
            .Where(k => holder.Address.Equals(ReminderRing.OwnerOf(holder, holder.Grains.GetGrain<IReminderProbeGrain>(k).GetGrainId())))
            .Take(Grains).ToArray();
        Assert.True(keys.Length == Grains, $"no {Grains} grain keys below {KeysToSearch} whose reminders silo-0 owns");
        foreach (var key in keys)
        {
            var grain = holder.Grains.GetGrain<IReminderProbeGrain>(key);
            Assert.Equal(holder.Name, await grain.SiloName());
            await grain.StartReminder(Period);
        }
        await Eventually.Until($"{TicksBefore} ticks of each reminder on silo-0", TickBound, () => MissingTicks(cluster.Ticks, keys, TimeSpan.Zero, TicksBefore, holder.Name));

        // Read once the kill has returned: a tick silo-0 fired while it was being stopped is not one after it.
        var dead = await cluster.KillAsync(0);
        var killedAt = cluster.Ticks.Now;
        await cluster.WaitUntilDeclaredDeadAsync(dead, FailoverBound);
        var resumed = await Eventually.Until($"{TicksAfter} ticks of each reminder after silo-0 was killed", FailoverBound,
            () => MissingTicks(cluster.Ticks, keys, killedAt, TicksAfter, null));
        output.WriteLine($"reminders ticking again {resumed} after silo-0 was declared dead; ticks after the kill: "
            + string.Join(", ", cluster.Ticks.Snapshot().Where(t => t.At > killedAt).Select(t => $"{t.GrainKey}@{t.Silo}")));
        Assert.DoesNotContain(cluster.Ticks.Snapshot(), t => t.At > killedAt && t.Silo == holder.Name);
    }

    /// <summary>Null when every grain ticked at least <paramref name="count"/> times after <paramref name="since"/> (on <paramref name="silo"/> if given).</summary>
    private static string? MissingTicks(ReminderTickLog log, long[] keys, TimeSpan since, int count, string? silo)
    {
        var ticks = log.Snapshot().Where(t => t.At > since && (silo is null || t.Silo == silo)).ToList();
        var lacking = keys.Where(k => ticks.Count(t => t.GrainKey == k) < count).ToList();
        return lacking.Count == 0 ? null : $"grains [{string.Join(", ", lacking)}] have fewer than {count}; seen: {string.Join(", ", ticks.Select(t => $"{t.GrainKey}@{t.Silo}"))}";
    }
}
