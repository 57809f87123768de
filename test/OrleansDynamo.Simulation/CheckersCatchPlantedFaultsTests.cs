using OrleansDynamo.Simulation.Checkers;
using OrleansDynamo.Simulation.Planted;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Simulation;

/// <summary>
/// Each checker is shown to catch the bug it exists for: a fault is planted in the silos' transport
/// or stores, and the checker must report it within a few seeds (the same seeds pass clean in
/// <see cref="SeededSimulationTests"/>, which runs seeds 1-200).
/// </summary>
public sealed class CheckersCatchPlantedFaultsTests(ITestOutputHelper output)
{
    private SimulationResult FirstCaught(string checker, SimulationOptions options, int seeds = 12)
    {
        SimulationResult? last = null;
        for (int seed = 1; seed <= seeds; seed++)
        {
            last = SimulationRun.Execute(seed, options);
            if (last.Violations.Any(v => v.Checker == checker))
            {
                output.WriteLine(last.Report(20));
                return last;
            }
        }
        Assert.Fail($"no seed in 1..{seeds} made the {checker} checker fire; last: {last?.Report(10)}");
        return last!;
    }

    [Fact]
    public void Convergence_checker_catches_a_replica_that_acknowledges_writes_it_drops()
    {
        var result = FirstCaught(InvariantCheckers.Convergence, new SimulationOptions
        {
            Silos = 3,
            Nemesis = false,
            LoadDuration = TimeSpan.FromSeconds(3),
            WrapStore = (silo, inner) => silo == "silo1" ? new IgnoresUpdates(inner) : inner,
        });
        Assert.Contains(result.Violations, v => v.Checker == InvariantCheckers.Convergence && v.Detail.Contains("silo1", StringComparison.Ordinal));
    }

    [Fact]
    public void Lost_write_checker_catches_a_disk_that_forgets_acknowledged_writes()
    {
        FirstCaught(InvariantCheckers.LostWrite, new SimulationOptions
        {
            Nemesis = false,
            LoadDuration = TimeSpan.FromSeconds(3),
            WrapStore = (_, inner) => new ForgetsSomeWrites(inner),
        });
    }

    [Fact]
    public void Lost_write_checker_catches_a_repair_that_overwrites_siblings()
    {
        FirstCaught(InvariantCheckers.LostWrite, new SimulationOptions
        {
            LoadDuration = TimeSpan.FromSeconds(4),
            WrapStore = (_, inner) => new KeepsOneSibling(inner),
        });
    }

    [Fact]
    public void Resurrection_checker_catches_tombstones_dropped_early()
    {
        FirstCaught(InvariantCheckers.Resurrection, new SimulationOptions
        {
            LoadDuration = TimeSpan.FromSeconds(6),
            WrapStore = (_, inner) => new DropsTombstonesEarly(inner),
        });
    }

    [Fact]
    public void Real_siblings_checker_catches_a_merge_that_keeps_replaced_versions()
    {
        FirstCaught(InvariantCheckers.RealSiblings, new SimulationOptions
        {
            Nemesis = false,
            LoadDuration = TimeSpan.FromSeconds(3),
            WrapStore = (_, inner) => new KeepsReplacedSiblings(inner),
        });
    }

    [Fact]
    public void Hints_drain_checker_catches_a_hint_log_never_drained()
    {
        FirstCaught(InvariantCheckers.HintsDrain, new SimulationOptions
        {
            LoadDuration = TimeSpan.FromSeconds(6),
            RequireHintsDrained = true,
            WrapStore = (_, inner) => new NeverDrainsHints(inner),
        });
    }
}
