using System.Text;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Simulation.Workload;

namespace OrleansDynamo.Simulation.Checkers;

/// <summary>
/// The invariants every run must keep, judged after healing and a quiet period. Histories are
/// matched to stored siblings by value (every put writes a unique value) and by dot (an acknowledged
/// write's dot is its coordinator's entry in the returned context).
/// </summary>
public static class InvariantCheckers
{
    public const string LostWrite = "lost-write";
    public const string Convergence = "convergence";
    public const string Resurrection = "resurrection";
    public const string RealSiblings = "real-siblings";
    public const string Phantom = "phantom-value";
    public const string HintsDrain = "hints-drain";

    public static List<Violation> CheckAll(FinalState state, bool requireHintsDrained)
    {
        var violations = new List<Violation>();
        violations.AddRange(CheckConvergence(state));
        violations.AddRange(CheckNoLostWrites(state));
        violations.AddRange(CheckNoResurrection(state));
        violations.AddRange(CheckSiblingsAreReal(state));
        violations.AddRange(CheckNoPhantoms(state));
        if (requireHintsDrained) violations.AddRange(CheckHintsDrained(state));
        return violations;
    }

    private static string ValueOf(Sibling s) => s.Tombstone ? "(del)" : Encoding.UTF8.GetString(s.Value);

    private static string Show(SiblingSet? set) => set is null ? "absent" : $"{set.Context}[{string.Join(",", set.Siblings.Select(s => $"{s.Dot}={ValueOf(s)}"))}]";

    /// <summary>Every primary of every key holds the same sibling set.</summary>
    public static IEnumerable<Violation> CheckConvergence(FinalState state)
    {
        foreach (var key in state.Keys)
        {
            var sets = key.Primaries.Select(p => (p, key.BySilo.GetValueOrDefault(p))).ToList();
            var first = sets[0].Item2;
            if (sets.All(s => Equals(s.Item2, first))) continue;
            var reused = sets.SelectMany(s => s.Item2?.Siblings ?? []).GroupBy(s => s.Dot).FirstOrDefault(g => g.Distinct().Count() > 1);
            string prefix = reused is null ? "" : $"{reused.Key} holds different versions on different replicas (a dot was reused); ";
            yield return new Violation(Convergence, key.Key, prefix + string.Join("; ", sets.Select(s => $"{s.p}: {Show(s.Item2)}")));
        }
    }

    /// <summary>
    /// Every acknowledged put is among the key's final siblings (with its own value), or a write
    /// whose context had seen it replaced it.
    /// </summary>
    public static IEnumerable<Violation> CheckNoLostWrites(FinalState state)
    {
        var byKey = state.Keys.ToDictionary(k => k.Key);
        foreach (var put in state.History.Where(o => o.Outcome == OperationOutcome.Ok && o.Kind is OperationKind.Put or OperationKind.BlindPut))
        {
            var dot = put.Dot!.Value;
            var final = byKey[put.Key].Final;
            var sibling = final?.Siblings.FirstOrDefault(s => s.Dot == dot);
            if (sibling is not null)
            {
                if (ValueOf(sibling) != put.Value)
                    yield return new Violation(LostWrite, put.Key, $"op{put.Id} acked {put.Value} as {dot}, but {dot} holds {ValueOf(sibling)} (a dot was reused)");
                continue;
            }
            var superseder = state.History.FirstOrDefault(w => w.IsWrite && w.Key == put.Key && w.Id != put.Id && w.Input.Covers(dot));
            if (superseder is not null) continue;
            yield return new Violation(LostWrite, put.Key, $"op{put.Id} acked {put.Value} as {dot}; no write saw it, yet the key holds {Show(final)}");
        }
    }

    /// <summary>No acknowledged write's context covers a surviving sibling (a delete stays a delete, an overwrite stays overwritten).</summary>
    public static IEnumerable<Violation> CheckNoResurrection(FinalState state)
    {
        var byKey = state.Keys.ToDictionary(k => k.Key);
        foreach (var write in state.History.Where(o => o.Outcome == OperationOutcome.Ok && o.IsWrite))
        {
            var final = byKey[write.Key].Final;
            if (final is null) continue;
            foreach (var s in final.Siblings)
            {
                if (!write.Input.Covers(s.Dot)) continue;
                string what = write.Kind == OperationKind.Delete ? "deleted" : "overwritten";
                yield return new Violation(Resurrection, write.Key, $"{s.Dot}={ValueOf(s)} was {what} by acked op{write.Id} (context {write.Input}) but came back: {Show(final)}");
            }
        }
    }

    /// <summary>No two final siblings of a key are causally ordered (the later one's write had seen the earlier).</summary>
    public static IEnumerable<Violation> CheckSiblingsAreReal(FinalState state)
    {
        var byValue = state.History.Where(o => o.Value is not null).ToDictionary(o => o.Value!);
        var byDot = state.History.Where(o => o.Dot is not null).GroupBy(o => (o.Key, o.Dot!.Value)).ToDictionary(g => g.Key, g => g.First());
        foreach (var key in state.Keys)
        {
            if (key.Final is not { } final) continue;
            foreach (var later in final.Siblings)
            {
                var op = later.Tombstone ? byDot.GetValueOrDefault((key.Key, later.Dot)) : byValue.GetValueOrDefault(ValueOf(later));
                if (op is null) continue;
                foreach (var earlier in final.Siblings)
                {
                    if (earlier.Dot == later.Dot || !op.Input.Covers(earlier.Dot)) continue;
                    yield return new Violation(RealSiblings, key.Key, $"{earlier.Dot}={ValueOf(earlier)} and {later.Dot}={ValueOf(later)} are siblings, but op{op.Id} that wrote the second had seen the first");
                }
            }
        }
    }

    /// <summary>Every final value was written by some client.</summary>
    public static IEnumerable<Violation> CheckNoPhantoms(FinalState state)
    {
        var written = state.History.Where(o => o.Value is not null).ToDictionary(o => o.Value!, o => o.Key);
        foreach (var key in state.Keys)
        {
            foreach (var s in key.Final?.Siblings ?? [])
            {
                if (s.Tombstone) continue;
                string v = ValueOf(s);
                if (!written.TryGetValue(v, out var k) || k != key.Key)
                    yield return new Violation(Phantom, key.Key, $"{s.Dot}={v} was never written to this key");
            }
        }
    }

    /// <summary>Every hint log is empty.</summary>
    public static IEnumerable<Violation> CheckHintsDrained(FinalState state)
    {
        foreach (var (silo, counts) in state.HintsBySilo)
        {
            if (counts.Values.Sum() > 0)
                yield return new Violation(HintsDrain, null, $"{silo} still holds hints for {string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Key}: {c.Value}"))}");
        }
    }
}
