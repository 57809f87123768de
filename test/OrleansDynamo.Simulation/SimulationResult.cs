using System.Text;
using OrleansDynamo.Simulation.Checkers;

namespace OrleansDynamo.Simulation;

/// <summary>The outcome of one seed: violations (empty when clean), the trace hash, figures, and the trace tail.</summary>
public sealed class SimulationResult
{
    public required int Seed { get; init; }
    public required IReadOnlyList<Violation> Violations { get; init; }
    public required ulong TraceHash { get; init; }
    public required IReadOnlyList<string> Trace { get; init; }

    /// <summary>Every nemesis action, crash and start of the run.</summary>
    public required IReadOnlyList<string> Faults { get; init; }
    /// <summary>What ran (deterministic: part of the replay).</summary>
    public required string Summary { get; init; }

    /// <summary>Real-time figures of the run (pool hops, waits), not part of the replay.</summary>
    public required string Diagnostics { get; init; }

    public bool Passed => Violations.Count == 0;

    /// <summary>The seed, the violations, and the trace events that mention the keys at fault (or the last ones).</summary>
    public string Report(int traceLines = 60)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"seed {Seed} FAILED ({Summary}; {Diagnostics}); replay with OD_SIM_START={Seed} OD_SIM_SEEDS=1");
        foreach (var v in Violations.Take(20)) sb.AppendLine("  " + v);
        if (Violations.Count > 20) sb.AppendLine($"  ... {Violations.Count - 20} more");
        var keys = Violations.Select(v => v.Key).OfType<string>().Distinct().Select(k => $" {k} ").ToArray();
        sb.AppendLine("faults:");
        foreach (var line in Faults) sb.AppendLine("  " + line);
        sb.AppendLine(keys.Length == 0 ? "last events:" : "last operations on the keys at fault:");
        foreach (var line in Trace.Where(l => keys.Length == 0 || keys.Any(k => (l + " ").Contains(k, StringComparison.Ordinal) || l.Contains(k.TrimEnd() + "=", StringComparison.Ordinal))).TakeLast(traceLines))
            sb.AppendLine("  " + line);
        return sb.ToString();
    }
}
