using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Simulation;

/// <summary>
/// Issue 19 under the nemesis: typed clients (counter increments, set adds, removes with the context they read) beside
/// the key-value ones; after healing every primary holds the same state, the counter is the acknowledged sum (plus some
/// failed increments, which may have been applied), and the set is exact for every acknowledged add and remove.
/// OD_SIM_TYPED_SEEDS=N (from OD_SIM_TYPED_START=S) runs more.
/// </summary>
public sealed class TypedSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_seed_keeps_typed_values_exact_after_healing()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("OD_SIM_TYPED_SEEDS"), out int n) ? n : 20;
        int start = int.TryParse(Environment.GetEnvironmentVariable("OD_SIM_TYPED_START"), out int s) ? s : 100_001;
        var failures = SeedRunner.Run(start, count, output.WriteLine, new SimulationOptions { Typed = true });
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(3).Select(f => f.Report())));
    }
}
