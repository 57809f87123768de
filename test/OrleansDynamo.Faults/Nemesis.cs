namespace OrleansDynamo.Faults;

public enum FaultKind
{
    KillOne,
    KillTwo,
    KillAll,
    Pause,
    CutOneWay,
    CutBothWays,
    ClockSkew,
    DiskFull,
}

/// <summary>One planned fault: wait <see cref="GapSeconds"/>, apply it to <see cref="Silos"/>, hold it <see cref="HoldSeconds"/>, heal.</summary>
public sealed record FaultStep(int Number, double GapSeconds, FaultKind Kind, int[] Silos, double HoldSeconds, int SkewSeconds)
{
    public override string ToString()
    {
        string who = Kind switch
        {
            FaultKind.CutOneWay => $"s{Silos[0] + 1} -> s{Silos[1] + 1}",
            FaultKind.CutBothWays => $"s{Silos[0] + 1} <-> s{Silos[1] + 1}",
            _ => string.Join(",", Silos.Select(s => $"s{s + 1}")),
        };
        string skew = Kind == FaultKind.ClockSkew ? $" clock {SkewSeconds:+0;-0} s" : "";
        return $"#{Number} after {GapSeconds:0.0} s: {Name(Kind)} {who}{skew} for {HoldSeconds:0.0} s";
    }

    public static string Name(FaultKind kind) => kind switch
    {
        FaultKind.KillOne => "kill -9 one",
        FaultKind.KillTwo => "kill -9 two",
        FaultKind.KillAll => "kill -9 all",
        FaultKind.Pause => "SIGSTOP",
        FaultKind.CutOneWay => "cut one way",
        FaultKind.CutBothWays => "cut both ways",
        FaultKind.ClockSkew => "restart with skewed clock",
        FaultKind.DiskFull => "fill data disk",
        _ => kind.ToString(),
    };
}

/// <summary>
/// The seeded schedule: a pure function of (seed, silo count). Every kind of fault comes once, in a seeded order, in the
/// first eight steps; later steps pick kinds at random. A run executes the prefix that fits its time.
/// </summary>
public static class Nemesis
{
    /// <param name="clockBehind">
    /// Also skew clocks backwards. Off by default: a silo whose clock runs behind by more than the membership table's
    /// staleness window (IAmAlive every 2 s, 3 misses) is declared dead by the others and stops (docs/reliability.md).
    /// </param>
    public static IReadOnlyList<FaultStep> Plan(int seed, int silos, bool clockBehind = false, int steps = 400)
    {
        var random = new Random(seed);
        var kinds = Enum.GetValues<FaultKind>();
        var first = kinds.OrderBy(_ => random.Next()).ToList();
        var plan = new List<FaultStep>();
        for (int n = 0; n < steps; n++)
        {
            var kind = n < first.Count ? first[n] : kinds[random.Next(kinds.Length)];
            var order = Enumerable.Range(0, silos).OrderBy(_ => random.Next()).ToArray();
            int[] targets = kind switch
            {
                FaultKind.KillTwo or FaultKind.CutOneWay or FaultKind.CutBothWays => order[..2],
                FaultKind.KillAll => Enumerable.Range(0, silos).ToArray(),
                _ => order[..1],
            };
            double hold = kind switch
            {
                FaultKind.KillAll => 1 + 2 * random.NextDouble(),
                FaultKind.ClockSkew => 6 + 4 * random.NextDouble(),
                FaultKind.Pause => 3 + 4 * random.NextDouble(),
                _ => 2 + 4 * random.NextDouble(),
            };
            int sign = random.Next(2) == 0 && clockBehind ? -1 : 1;
            int skew = kind == FaultKind.ClockSkew ? sign * 60 * random.Next(2, 11) : 0;
            plan.Add(new FaultStep(n + 1, 1 + 2 * random.NextDouble(), kind, targets, Math.Round(hold, 1), skew));
        }
        return plan;
    }
}
