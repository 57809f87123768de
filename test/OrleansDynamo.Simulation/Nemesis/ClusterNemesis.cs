using OrleansDynamo.Core.Membership;
using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation.Nemesis;

/// <summary>
/// Picks faults over time from the seed: partitions (a random split, a minority cut off, a bridge,
/// a one-way cut), heals, silo crash and restart, silo pause, clock skew, message-loss bursts,
/// flaky disks, and (when enabled) a join or a leave. Runs in its own context, killed at the end
/// of the load phase so no pending fault fires after the final heal.
/// </summary>
public sealed class ClusterNemesis(SimulatedCluster cluster, bool membershipChanges, bool clockSteps)
{
    private SimContext? _context;

    public int Actions { get; private set; }

    public void Start(DateTimeOffset until)
    {
        _context = cluster.Scheduler.CreateContext("nemesis");
        cluster.Scheduler.Spawn(_context, () => RunAsync(until));
    }

    /// <summary>Stops the nemesis and every fault it still planned to undo (the final heal does that).</summary>
    public void Stop() => _context?.Kill();

    /// <summary>
    /// Whether the network duplicates messages. Off for typed runs: a counter increment delivered twice is applied twice
    /// (operations are not idempotent; an Orleans grain call is delivered at most once, so only the simulated network does this).
    /// </summary>
    public bool DuplicateMessages { get; init; } = true;

    private Random Random => cluster.Random;

    private TimeSpan Ms(int min, int max) => TimeSpan.FromMilliseconds(min + Random.Next(max - min));

    private async Task RunAsync(DateTimeOffset until)
    {
        // A little background noise for the whole run.
        double duplicates = Random.NextDouble() * 0.02;
        cluster.Network.DuplicateRate = DuplicateMessages ? duplicates : 0;
        cluster.Network.SlowRate = Random.NextDouble() * 0.02;
        double baseLoss = Random.Next(3) == 0 ? Random.NextDouble() * 0.02 : 0;
        cluster.Network.LossRate = baseLoss;
        cluster.Trace.Fault($"nemesis: dup {cluster.Network.DuplicateRate:0.000} slow {cluster.Network.SlowRate:0.000} loss {baseLoss:0.000}");
        while (true)
        {
            await Task.Delay(Ms(200, 2000), cluster.Time);
            if (cluster.Time.GetUtcNow() >= until) return;
            Actions++;
            int roll = Random.Next(membershipChanges ? 110 : 100);
            switch (roll)
            {
                case < 12: SplitRandomly(); break;
                case < 20: CutMinority(); break;
                case < 26: Bridge(); break;
                case < 32: OneWayCut(); break;
                case < 45:
                    cluster.Network.HealAll();
                    cluster.Trace.Fault("nemesis: heal links");
                    break;
                case < 60: _ = CrashAndRestartAsync(); break;
                case < 70: _ = PauseAsync(); break;
                case < 78:
                    if (clockSteps) Skew();
                    else _ = PauseAsync();
                    break;
                case < 88: _ = LossBurstAsync(baseLoss); break;
                case < 100: _ = FlakyDiskAsync(); break;
                case < 105: Join(); break;
                default: await LeaveAsync(); break;
            }
        }
    }

    private List<string> Names() => cluster.Silos.Where(s => !s.Retired).Select(s => s.Name).ToList();

    private List<string> Shuffled()
    {
        var names = Names();
        for (int i = names.Count - 1; i > 0; i--)
        {
            int j = Random.Next(i + 1);
            (names[i], names[j]) = (names[j], names[i]);
        }
        return names;
    }

    private void CutBetween(IReadOnlyCollection<string> a, IReadOnlyCollection<string> b)
    {
        foreach (var x in a)
        foreach (var y in b)
            cluster.Network.Cut(x, y);
    }

    private void SplitRandomly()
    {
        var names = Shuffled();
        int k = 1 + Random.Next(names.Count - 1);
        var a = names.Take(k).ToList();
        var b = names.Skip(k).ToList();
        CutBetween(a, b);
        cluster.Trace.Fault($"nemesis: partition [{string.Join(",", a)}] | [{string.Join(",", b)}]");
    }

    private void CutMinority()
    {
        var names = Shuffled();
        int k = Math.Max(1, (names.Count - 1) / 2);
        var minority = names.Take(k).ToList();
        CutBetween(minority, names.Skip(k).ToList());
        cluster.Trace.Fault($"nemesis: minority [{string.Join(",", minority)}] cut off");
    }

    private void Bridge()
    {
        var names = Shuffled();
        if (names.Count < 3) return;
        var bridge = names[0];
        int k = 1 + Random.Next(names.Count - 2);
        var a = names.Skip(1).Take(k).ToList();
        var b = names.Skip(1 + k).ToList();
        CutBetween(a, b);
        cluster.Trace.Fault($"nemesis: bridge {bridge} between [{string.Join(",", a)}] and [{string.Join(",", b)}]");
    }

    private void OneWayCut()
    {
        var names = Shuffled();
        cluster.Network.Cut(names[0], names[1], oneWay: true);
        cluster.Trace.Fault($"nemesis: one-way cut {names[0]} -> {names[1]}");
    }

    private async Task CrashAndRestartAsync()
    {
        var up = cluster.Up.ToList();
        // Keep a majority of the silos running so the workload has somewhere to go.
        if (up.Count - 1 < cluster.Silos.Count(s => !s.Retired) / 2 + 1) return;
        var silo = up[Random.Next(up.Count)];
        cluster.Crash(silo);
        await Task.Delay(Ms(100, 4000), cluster.Time);
        if (!silo.IsUp && !silo.Retired) cluster.Start(silo);
    }

    private async Task PauseAsync()
    {
        var up = cluster.Up.Where(s => !s.IsPaused).ToList();
        if (up.Count == 0) return;
        var silo = up[Random.Next(up.Count)];
        cluster.Pause(silo);
        await Task.Delay(Ms(100, 3000), cluster.Time);
        cluster.Resume(silo);
    }

    private void Skew()
    {
        var silo = cluster.Silos[Random.Next(cluster.Silos.Count)];
        // Mostly small drift, sometimes minutes off (LWW and pruning read these timestamps).
        double ms = Random.Next(4) == 0 ? (Random.NextDouble() * 2 - 1) * 600_000 : (Random.NextDouble() * 2 - 1) * 2_000;
        silo.Time.Skew = TimeSpan.FromMilliseconds(ms);
        cluster.Trace.Fault($"nemesis: {silo.Name} clock skew {ms:0} ms");
    }

    private async Task LossBurstAsync(double baseLoss)
    {
        double rate = 0.1 + Random.NextDouble() * 0.4;
        cluster.Network.LossRate = rate;
        cluster.Trace.Fault($"nemesis: loss burst {rate:0.00}");
        await Task.Delay(Ms(200, 3000), cluster.Time);
        cluster.Network.LossRate = baseLoss;
        cluster.Trace.Fault("nemesis: loss burst over");
    }

    private async Task FlakyDiskAsync()
    {
        double rate = 0.05 + Random.NextDouble() * 0.3;
        cluster.StoreFaultRate = rate;
        cluster.Trace.Fault($"nemesis: flaky disks {rate:0.00}");
        await Task.Delay(Ms(200, 2000), cluster.Time);
        cluster.StoreFaultRate = 0;
        cluster.Trace.Fault("nemesis: disks healthy");
    }

    private void Join()
    {
        if (cluster.Silos.Count >= 7) return;
        var seeds = cluster.Silos.Where(s => !s.Retired).Select(s => s.Options.AdvertisedGrpcAddress).ToList();
        var silo = cluster.AddSilo(seeds);
        cluster.Start(silo);
        cluster.Trace.Fault($"nemesis: join {silo.Name}");
    }

    private async Task LeaveAsync()
    {
        var active = cluster.Up.Where(s => !s.IsPaused).ToList();
        if (active.Count <= 3) return;
        var silo = active[Random.Next(active.Count)];
        var state = silo.Runtime!.Membership.State;
        if (state.Member(silo.Name)?.Status != MemberStatus.Up) return;
        try
        {
            await cluster.CallAsync(silo, rt => rt.Membership.LeaveAsync(silo.Name, CancellationToken.None), TimeSpan.FromSeconds(2));
            cluster.Trace.Fault($"nemesis: {silo.Name} leaves");
        }
        catch (Exception e)
        {
            cluster.Trace.Fault($"nemesis: leave of {silo.Name} failed: {e.Message}");
        }
    }
}
