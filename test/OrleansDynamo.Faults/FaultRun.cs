using System.Diagnostics;
using OrleansDynamo.Client;

namespace OrleansDynamo.Faults;

/// <summary>
/// One fault run: starts the silo processes, runs the workload, executes the nemesis schedule of the seed for the fault
/// time (measuring, after each heal, how long the keys written during the fault take to converge), heals everything,
/// and runs the checkers. Cleans up what it started (processes by id, its iptables chain, its tmpfs mounts), also on failure.
/// </summary>
public sealed class FaultRun
{
    private readonly FaultRunOptions _options;
    private readonly Action<string> _print;
    private readonly Stopwatch _clock = new();
    private FaultReport _report = null!;

    private FaultRun(FaultRunOptions options, Action<string> print)
    {
        _options = options;
        _print = print;
    }

    public static async Task<FaultReport> RunAsync(FaultRunOptions options, Action<string>? print = null)
    {
        var run = new FaultRun(options, print ?? (_ => { }));
        return await run.RunAsync();
    }

    private double Now => _clock.Elapsed.TotalSeconds;

    private void Log(string message)
    {
        var line = $"[{Now,6:0.0}s] {message}";
        lock (_report.Timeline) _report.Timeline.Add(line);
        _print(line);
    }

    private async Task<FaultReport> RunAsync()
    {
        if (_options.Validate() is { Count: > 0 } errors) throw new ArgumentException(string.Join("; ", errors));
        var directory = _options.Directory ?? Directory.CreateTempSubdirectory("od-faults-").FullName;
        Directory.CreateDirectory(directory);
        _report = new FaultReport(_options, directory);
        _clock.Start();
        if (Prerequisites() is { } missing)
        {
            _report.Problems.Add("cannot run: " + missing);
            return _report;
        }
        SiloFleet? fleet = null;
        LinkCuts? cuts = null;
        void Cleanup()
        {
            cuts?.Dispose();
            fleet?.Dispose();
        }
        EventHandler onExit = (_, _) => Cleanup();
        AppDomain.CurrentDomain.ProcessExit += onExit;
        try
        {
            fleet = new SiloFleet(_options, directory, Log);
            cuts = new LinkCuts(Log);
            await RunInsideAsync(fleet, cuts);
        }
        catch (Exception e)
        {
            _report.Problems.Add($"the run itself failed: {e}");
        }
        finally
        {
            try
            {
                if (fleet is not null)
                {
                    _report.LogErrors = Checkers.ErrorLines(fleet.LogFiles);
                    foreach (var line in Checkers.CheckLogs(fleet.LogFiles)) _report.Problems.Add("silo log: " + line);
                }
            }
            finally
            {
                Cleanup();
                AppDomain.CurrentDomain.ProcessExit -= onExit;
            }
        }
        _report.TotalSeconds = Now;
        File.WriteAllText(Path.Combine(directory, "report.txt"), _report + "\n== timeline\n" + string.Join("\n", _report.Timeline) + "\n");
        if (_report.Passed && !_options.Keep)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
        return _report;
    }

    private static string? Prerequisites()
    {
        if (Environment.UserName != "root") return "the fault tier needs root (tmpfs mounts, iptables)";
        foreach (var tool in new[] { "iptables", "setpriv", "mount" })
            if (!Shell.Exists(tool)) return $"'{tool}' is not installed (Debian: apt-get install iptables util-linux mount)";
        if (!File.Exists("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")) return "libfaketime is not installed (Debian: apt-get install faketime)";
        return null;
    }

    private async Task RunInsideAsync(SiloFleet fleet, LinkCuts cuts)
    {
        foreach (var silo in fleet.Silos) fleet.Start(silo);
        await using var client = await ConnectAsync(fleet);
        await WaitAllUpAsync(client, fleet, TimeSpan.FromSeconds(150), "start");
        _report.StartupSeconds = Now;
        Log($"all {fleet.Silos.Count} silos up");

        var history = new History();
        _report.History = history;
        using var stopWorkload = new CancellationTokenSource();
        var workload = new Workload(client, history, _options).RunAsync(stopWorkload.Token);

        var nemesis = Stopwatch.StartNew();
        foreach (var step in Nemesis.Plan(_options.Seed, _options.Silos, _options.ClockBehind))
        {
            if (nemesis.Elapsed >= _options.FaultTime || (_options.MaxSteps > 0 && step.Number > _options.MaxSteps)) break;
            await Task.Delay(TimeSpan.FromSeconds(step.GapSeconds));
            double started = Now;
            var startedAt = DateTime.UtcNow;
            Log($"fault {step}");
            string notes = await ExecuteAsync(step, fleet, cuts, client);
            double healed = Now;
            var healedAt = DateTime.UtcNow;
            notes += await EnsureRunningAsync(fleet, client);
            var sample = history.Unique.Values.Where(w => w.Acked && w.At >= startedAt && w.At <= healedAt).Select(w => w.Key).Take(150).ToList();
            var converged = await Checkers.ConvergeAsync(client, sample, _options.HealWait);
            Log($"after heal of #{step.Number}: {converged}");
            _report.Steps.Add(new StepResult(step, started, healed, converged, notes));
        }

        Log("stopping the workload");
        stopWorkload.Cancel();
        await workload;
        cuts.HealAll();
        foreach (var silo in fleet.Silos.Where(s => s.Paused)) fleet.Resume(silo);
        var restarted = await EnsureRunningAsync(fleet, client);
        if (restarted.Length > 0) _report.Problems.Add("at the final heal:" + restarted);
        Log("final heal done; checking");

        var keys = history.Unique.Keys.Concat(history.Deletes.Keys).Concat(Enumerable.Range(0, _options.HotKeys).Select(Workload.HotKey)).ToList();
        _report.Final = await Checkers.ConvergeAsync(client, keys, _options.ConvergenceBound);
        Log($"final convergence: {_report.Final}");
        if (!_report.Final.Converged)
            _report.Problems.Add($"CONVERGENCE: {_report.Final} (bound {_options.ConvergenceBound.TotalSeconds:0} s)");
        var (drained, last) = await Checkers.HintsDrainedAsync(client, fleet.Endpoints, _options.HintDrainBound);
        _report.HintsDrained = drained;
        _report.HintsLast = last;
        if (drained is null) _report.Problems.Add($"HINTS: not drained within {_options.HintDrainBound.TotalSeconds:0} s ({last})");
        Log($"hints: {(drained is { } d ? $"drained in {d.TotalSeconds:0.0} s" : "NOT drained")}");
        foreach (var v in await Checkers.CheckReadsAsync(client, history, _options)) _report.Problems.Add(v);
        foreach (var v in history.Violations) _report.Problems.Add(v);
        Log("checks done");
    }

    private async Task<DynamoClient> ConnectAsync(SiloFleet fleet)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await DynamoClient.ConnectAsync(new DynamoClientOptions
                {
                    Seeds = fleet.Endpoints.ToList(),
                    RequestTimeout = TimeSpan.FromSeconds(4),
                    MarkDownDuration = TimeSpan.FromSeconds(2),
                    RingRefreshInterval = TimeSpan.FromSeconds(3),
                });
            }
            catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(150))
            {
                if (fleet.Silos.FirstOrDefault(s => !s.Running) is { } dead)
                    throw new InvalidOperationException($"{dead.Name} exited at start (see {fleet.LogPath(dead, dead.Starts)}): {Tail(fleet.LogPath(dead, dead.Starts))}");
                await Task.Delay(1000);
            }
        }
    }

    private static string Tail(string file) => File.Exists(file) ? string.Join(" / ", File.ReadLines(file).TakeLast(5)) : "(no log)";

    /// <summary>Waits until every silo answers and sees all silos up; a problem is recorded when the bound passes.</summary>
    private async Task<bool> WaitAllUpAsync(DynamoClient client, SiloFleet fleet, TimeSpan bound, string when)
    {
        var clock = Stopwatch.StartNew();
        string last = "";
        while (clock.Elapsed < bound)
        {
            bool all = true;
            if (fleet.Silos.FirstOrDefault(s => !s.Running && s.Process is not null) is { } exited)
            {
                // The runner is the silos' supervisor: a silo that stopped itself is restarted (and reported) like systemd would.
                if (!Restart(fleet, exited, out var why))
                {
                    last = why;
                    break;
                }
                continue;
            }
            foreach (var silo in fleet.Silos)
            {
                try
                {
                    var status = await client.GetStatusAsync(silo.Endpoint);
                    int up = status.Silos.Count(s => s.Status == ClusterSilo.StatusUp);
                    if (up != fleet.Silos.Count)
                    {
                        all = false;
                        last = $"{silo.Name} sees {up} up: {string.Join(",", status.Silos.Select(s => $"{s.Name}={s.Status}"))}";
                        break;
                    }
                }
                catch (Exception e)
                {
                    all = false;
                    last = $"{silo.Name}: {e.Message.ReplaceLineEndings(" ")}";
                    break;
                }
            }
            if (all) return true;
            await Task.Delay(500);
        }
        _report.Problems.Add($"silos not all up {bound.TotalSeconds:0} s after {when}: {last}");
        return false;
    }

    /// <summary>Restarts any silo whose process exited by itself (not killed by the nemesis) and waits for all to be up.</summary>
    private async Task<string> EnsureRunningAsync(SiloFleet fleet, DynamoClient client)
    {
        var before = _report.SelfExits.Count;
        foreach (var silo in fleet.Silos.Where(s => !s.Running).ToList()) Restart(fleet, silo, out _);
        await WaitAllUpAsync(client, fleet, TimeSpan.FromSeconds(90), "a heal");
        return string.Concat(_report.SelfExits.Skip(before).Select(e => $" {e};"));
    }

    /// <summary>
    /// Restarts a silo whose process exited by itself. Orleans' fail-stop (membership declared the silo dead, e.g. after a
    /// pause longer than failure detection allows, and it stopped itself when it noticed) is expected under these faults
    /// and only reported; any other exit is a problem. False when the silo was not restarted.
    /// </summary>
    private bool Restart(SiloFleet fleet, SiloProcess silo, out string why)
    {
        var log = fleet.LogPath(silo, silo.Starts);
        int code = silo.Process?.ExitCode ?? -1;
        bool declaredDead = Checkers.DeclaredDead(log);
        why = declaredDead
            ? $"{silo.Name} was declared dead by membership and stopped itself (Orleans fail-stop, exit code {code}); restarted"
            : $"{silo.Name} exited by itself (code {code}): {Tail(log)}";
        Log(why);
        _report.SelfExits.Add(why);
        if (!declaredDead) _report.Problems.Add(why);
        fleet.Start(silo);
        return true;
    }

    private async Task<string> ExecuteAsync(FaultStep step, SiloFleet fleet, LinkCuts cuts, DynamoClient client)
    {
        var targets = step.Silos.Select(i => fleet.Silos[i]).ToList();
        var hold = TimeSpan.FromSeconds(step.HoldSeconds);
        switch (step.Kind)
        {
            case FaultKind.KillOne or FaultKind.KillTwo or FaultKind.KillAll:
                foreach (var s in targets) fleet.Kill(s);
                await Task.Delay(hold);
                foreach (var s in targets) fleet.Start(s);
                return "";
            case FaultKind.Pause:
                fleet.Pause(targets[0]);
                await Task.Delay(hold);
                fleet.Resume(targets[0]);
                return "";
            case FaultKind.CutOneWay:
                cuts.Cut(targets[0], targets[1]);
                await Task.Delay(hold);
                cuts.HealAll();
                return "";
            case FaultKind.CutBothWays:
                cuts.Cut(targets[0], targets[1]);
                cuts.Cut(targets[1], targets[0]);
                await Task.Delay(hold);
                cuts.HealAll();
                return "";
            case FaultKind.ClockSkew:
                fleet.Kill(targets[0]);
                fleet.Start(targets[0], step.SkewSeconds);
                await WaitAllUpAsync(client, fleet, TimeSpan.FromSeconds(90), $"a restart with the clock {step.SkewSeconds:+0;-0} s");
                await Task.Delay(hold);
                fleet.Kill(targets[0]);
                fleet.Start(targets[0]);
                return "";
            case FaultKind.DiskFull:
                return await DiskFullAsync(targets[0], fleet, client, hold, step.Number);
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step.Kind, "unknown fault");
        }
    }

    /// <summary>
    /// Fills the silo's data tmpfs, writes probes that need every replica (W=3) while it is full, frees it, and records
    /// what the probes and the silo's log said.
    /// </summary>
    private async Task<string> DiskFullAsync(SiloProcess silo, SiloFleet fleet, DynamoClient client, TimeSpan hold, int step)
    {
        long filled = fleet.FillDisk(silo);
        var clock = Stopwatch.StartNew();
        int refused = 0, accepted = 0;
        var messages = new HashSet<string>();
        for (int i = 0; i < 6 && silo.Running; i++)
        {
            string key = $"p{step}-{i}", value = $"p{step}-{i}";
            _report.History.Sent[value] = 0;
            try
            {
                await client.PutAsync("default", key, value, DynamoContext.Empty, new PutOptions { W = 3 });
                accepted++;
            }
            catch (Exception e)
            {
                refused++;
                messages.Add(e.Message.ReplaceLineEndings(" ") is var m && m.Length > 160 ? m[..160] : e.Message);
            }
        }
        var rest = hold - clock.Elapsed;
        if (rest > TimeSpan.Zero) await Task.Delay(rest);
        fleet.FreeDisk(silo);
        var log = fleet.LogPath(silo, silo.Starts);
        int fullLines = File.Exists(log) ? File.ReadLines(log).Count(l => l.Contains("full", StringComparison.OrdinalIgnoreCase)) : 0;
        var line = $"#{step} {silo.Name} ({filled >> 20} MiB filler): W=3 probes {accepted} accepted, {refused} refused" +
            (messages.Count > 0 ? $" ({string.Join(" | ", messages.Take(2))})" : "") + $"; its log mentions 'full' on {fullLines} line(s)";
        _report.DiskFull.Add(line);
        Log(line);
        return silo.Running ? "" : $" {silo.Name} exited while its disk was full;";
    }
}
