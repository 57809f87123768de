using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Every silo keeps its background-work grain alive with an Orleans reminder (<c>od.background-work</c>, period
/// Silo:BackgroundReminderPeriodMs), kept in the SQLite reminder table. Orleans' reminder service of one silo fires
/// each reminder (the owner of the grain's hash on its ring), usually not the silo whose grain it is. Three real silo
/// processes: the silo that fires another silo's reminder is killed with SIGKILL, and that reminder must keep
/// firing (fired by a survivor, and counted by the grain); the killed silo restarts and its own reminder fires again.
/// Which silo fires which reminder is read from Orleans' reminder service trace log ("Triggering tick for [name, grain, ...").
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed partial class ReminderFailoverTests(ITestOutputHelper output)
{
    private const string TicksCounter = "background_reminder_ticks";
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    [GeneratedRegex(@"Triggering tick for \[od\.background-work, silowork/(?<owner>[^,\]]+),")]
    private static partial Regex TickLine();

    [Fact]
    public async Task A_silos_background_reminder_keeps_firing_after_the_silo_that_fired_it_is_killed()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = RealCluster.Sqlite("remind", "--Silo:PartitionCount=64", "--Silo:BackgroundReminderPeriodMs=1000");
        cluster.Environment["Logging__LogLevel__Orleans.Runtime.ReminderService"] = "Trace";
        var silos = cluster.AddLocalCluster(3);
        await cluster.RunAsync(output, async () =>
        {
            foreach (var s in silos) cluster.Start(s);
            await cluster.WaitForUpAsync(silos, silos);
            Step(clock, "three silos up");

            // A reminder fired by a silo other than its own. Each restart gives a silo new ring positions, so when
            // every silo happens to fire only its own reminder, restarting one reshuffles them (bounded).
            Dictionary<string, string> holders = [];
            (string Owner, string Holder)? pick = null;
            for (int attempt = 0; attempt < 5 && pick is null; attempt++)
            {
                holders = await HoldersAsync(cluster, silos);
                Step(clock, "reminder fired by: " + string.Join(", ", holders.Select(h => $"{h.Key}'s by {h.Value}")));
                pick = holders.Where(h => h.Key != h.Value).Select(h => ((string, string)?)(h.Key, h.Value)).FirstOrDefault();
                if (pick is null)
                {
                    var reshuffle = silos[attempt % silos.Count];
                    await cluster.KillAsync(reshuffle);
                    cluster.Start(reshuffle);
                    await cluster.WaitForUpAsync(silos, silos);
                }
            }
            Assert.True(pick is not null, "in five ring layouts every silo fired only its own reminder; no reminder held by another silo to test");
            var (ownerName, holderName) = pick!.Value;
            var owner = cluster[ownerName];
            var holder = cluster[holderName];

            ulong ticksBefore = Workload.Counter(await cluster.StatusAsync(owner), TicksCounter);
            var survivors = silos.Where(s => s != holder).ToList();
            var marks = survivors.ToDictionary(s => s.Name, s => s.Process!.Output.Length);
            await cluster.KillAsync(holder);
            Step(clock, $"killed {holder.Name} (SIGKILL), which fired {owner.Name}'s reminder; {owner.Name} had counted {ticksBefore} ticks");

            var took = await Eventually.UntilAsync($"{owner.Name}'s reminder fired by a survivor and counted", TimeSpan.FromSeconds(30), async () =>
            {
                cluster.ThrowIfAnyDied();
                var firedBy = survivors.Where(s => TickLine().Matches(s.Process!.Output[marks[s.Name]..]).Any(m => m.Groups["owner"].Value == owner.Name)).Select(s => s.Name).ToList();
                ulong ticks = Workload.Counter(await cluster.StatusAsync(owner), TicksCounter);
                return firedBy.Count > 0 && ticks >= ticksBefore + 2 ? null
                    : $"fired after the kill by [{string.Join(", ", firedBy)}], {owner.Name} counted {ticks - ticksBefore} more ticks";
            });
            var newHolders = survivors.Where(s => TickLine().Matches(s.Process!.Output[marks[s.Name]..]).Any(m => m.Groups["owner"].Value == owner.Name)).Select(s => s.Name);
            Step(clock, $"{owner.Name}'s reminder fires again, now by [{string.Join(", ", newHolders)}], {took.TotalSeconds:0.0} s after the kill");

            cluster.Start(holder);
            await cluster.WaitForUpAsync(silos, silos);
            await cluster.WaitForStatusAsync(holder, "counts ticks of its own reminder after the restart", status =>
                Workload.Counter(status, TicksCounter) >= 2 ? null : $"{Workload.Counter(status, TicksCounter)} ticks", TimeSpan.FromSeconds(30));
            Step(clock, $"{holder.Name} restarted; its own reminder fires again");
        });
    }

    /// <summary>
    /// Which silo fires each silo's reminder: watched over a window until every reminder fired at least twice
    /// within it, each by exactly one silo (a window spanning a range change is watched again).
    /// </summary>
    private static async Task<Dictionary<string, string>> HoldersAsync(RealCluster cluster, IReadOnlyList<SiloProcess> silos)
    {
        var result = new Dictionary<string, string>();
        await Eventually.UntilAsync("every reminder fired twice in a window by exactly one silo", TimeSpan.FromSeconds(30), async () =>
        {
            cluster.ThrowIfAnyDied();
            var marks = silos.ToDictionary(s => s.Name, s => s.Process!.Output.Length);
            await Task.Delay(Window);
            var fired = silos.SelectMany(s => TickLine().Matches(s.Process!.Output[marks[s.Name]..]).Select(m => (Owner: m.Groups["owner"].Value, Holder: s.Name))).ToList();
            var byOwner = silos.ToDictionary(s => s.Name, s => fired.Where(f => f.Owner == s.Name).ToList());
            var unclear = byOwner.Where(o => o.Value.Count < 2 || o.Value.Select(f => f.Holder).Distinct().Count() != 1).ToList();
            if (unclear.Count > 0)
                return "unclear: " + string.Join(", ", unclear.Select(o => $"{o.Key}'s fired {o.Value.Count} times by [{string.Join(", ", o.Value.Select(f => f.Holder).Distinct())}]"));
            result = byOwner.ToDictionary(o => o.Key, o => o.Value[0].Holder);
            return null;
        }, TimeSpan.FromMilliseconds(10));
        return result;
    }

    private void Step(Stopwatch clock, string what) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {what}");
}
