using System.Text;

namespace OrleansDynamo.Faults;

/// <summary>One executed fault step: when it started and healed (seconds into the run), and how its keys converged after.</summary>
public sealed record StepResult(FaultStep Step, double StartedAt, double HealedAt, Convergence Converged, string Notes);

/// <summary>What a fault run did and found; <see cref="Passed"/> when no checker failed.</summary>
public sealed class FaultReport(FaultRunOptions options, string directory)
{
    public FaultRunOptions Options { get; } = options;
    public string Directory { get; } = directory;
    public List<StepResult> Steps { get; } = [];
    public List<string> Problems { get; } = [];
    public History History { get; set; } = new();
    public double StartupSeconds { get; set; }
    public double TotalSeconds { get; set; }
    public Convergence? Final { get; set; }
    public TimeSpan? HintsDrained { get; set; }
    public string HintsLast { get; set; } = "";
    public List<string> DiskFull { get; } = [];

    /// <summary>Silo processes that exited by themselves and were restarted by the runner.</summary>
    public List<string> SelfExits { get; } = [];
    public Dictionary<string, int> LogErrors { get; set; } = [];
    public List<string> Timeline { get; } = [];

    public bool Passed => Problems.Count == 0;

    public override string ToString()
    {
        var o = Options;
        var b = new StringBuilder();
        var h = History;
        b.AppendLine($"== fault run: seed {o.Seed}, {o.Silos} silos, faults for {o.FaultTime.TotalSeconds:0} s{(o.Plant.Length > 0 ? $", PLANTED BUG: {o.Plant}" : "")}");
        b.AppendLine($"   silos up in {StartupSeconds:0.0} s; whole run {TotalSeconds:0.0} s; files in {Directory}");
        b.AppendLine("== schedule (executed)");
        foreach (var s in Steps)
            b.AppendLine($"   t={s.StartedAt,6:0.0}s {s.Step}; healed t={s.HealedAt:0.0}s; after heal: {s.Converged}{(s.Notes.Length > 0 ? "; " + s.Notes : "")}");
        b.AppendLine("== workload");
        foreach (var (op, n) in h.Operations.OrderBy(kv => kv.Key, StringComparer.Ordinal)) b.AppendLine($"   {op}: {n}");
        int acked = h.Unique.Values.Count(w => w.Acked) + h.AckedBlind.Count + h.Deletes.Values.Count(d => d.DeleteAcked);
        b.AppendLine($"   acknowledged writes: {h.Unique.Values.Count(w => w.Acked)} unique, {h.AckedBlind.Count} blind, {h.Deletes.Values.Count(d => d.DeleteAcked)} deletes ({acked} in all); " +
            $"re-reads right after an acknowledged delete that still saw the value: {h.StaleReReads}; " +
            $"acknowledged deletes whose read had missed the value (concurrent with it, so not checked): {h.Deletes.Values.Count(d => d.DeleteAcked && !d.ReadSawValue)}");
        foreach (var (e, n) in h.Errors.OrderByDescending(kv => kv.Value).Take(12)) b.AppendLine($"   error x{n}: {e}");
        b.AppendLine($"   silos that stopped themselves (restarted by the runner): {SelfExits.Count}");
        foreach (var e in SelfExits) b.AppendLine("     " + e);
        if (DiskFull.Count > 0)
        {
            b.AppendLine("== disk full");
            foreach (var line in DiskFull) b.AppendLine("   " + line);
        }
        b.AppendLine("== after the final heal");
        b.AppendLine($"   convergence (all N replicas agree, no client reads, bound {o.ConvergenceBound.TotalSeconds:0} s): {Final?.ToString() ?? "not measured"}");
        var perHeal = Steps.Where(s => s.Converged.Keys > 0).ToList();
        if (perHeal.Count > 0)
            b.AppendLine($"   convergence after each heal: {string.Join(", ", perHeal.Select(s => s.Converged.Converged ? $"{s.Converged.Took.TotalSeconds:0.0}" : $">{s.Converged.Took.TotalSeconds:0}"))} s " +
                $"(max {perHeal.Max(s => s.Converged.Took.TotalSeconds):0.0} s)");
        b.AppendLine($"   hints drained: {(HintsDrained is { } d ? $"in {d.TotalSeconds:0.0} s" : "NO")} ({HintsLast})");
        b.AppendLine($"   silo log lines at error level: {LogErrors.Values.Sum()}");
        foreach (var (e, n) in LogErrors.OrderByDescending(kv => kv.Value).Take(8)) b.AppendLine($"     x{n}: {e}");
        b.AppendLine(Passed ? "== PASSED: no checker failed" : $"== FAILED: {Problems.Count} problem(s): " +
            string.Join(", ", Problems.GroupBy(p => p.Split(':')[0]).Select(g => $"{g.Count()} {g.Key}")));
        foreach (var p in Problems.Take(40)) b.AppendLine("   " + p);
        if (Problems.Count > 40) b.AppendLine($"   ... and {Problems.Count - 40} more");
        if (!Passed)
        {
            b.AppendLine($"== replay: {o.ReplayCommand}");
            b.AppendLine("   (the schedule is a function of the seed and the silo count: the same steps run in the same order)");
        }
        return b.ToString();
    }
}
