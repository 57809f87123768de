using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Faults;

/// <summary>The CI fault run: real silo processes under the nemesis of a fixed seed, about 2.5 minutes.</summary>
public sealed class FaultRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Ci_fault_run_with_a_fixed_seed_passes_every_checker()
    {
        var report = await FaultRun.RunAsync(FaultRunOptions.Ci, output.WriteLine);
        output.WriteLine(report.ToString());
        Assert.True(report.Passed, report.ToString());
        Assert.True(report.TotalSeconds < 180, $"the CI fault run took {report.TotalSeconds:0} s, over its 180 s budget");
    }
}
