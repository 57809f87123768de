using FsCheck;
using FsCheck.Fluent;
using OrleansDynamo.Core.DataTypes;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// The model check is not vacuous: run on the same kind of histories the properties draw, it catches a planted bug.
/// Here the coordinator removes everything it has seen, not what the client observed: a remove then drops an add it
/// did not see, which is exactly what add-wins forbids.
/// </summary>
public sealed class PlantedBugTests(ITestOutputHelper output)
{
    private static List<DtHistory> Sample(DataTypeKind kind, int count) =>
        [.. Gen.Sample(DataTypeGenerators.HistoryOf(kind), count, new Rnd(20260519UL), 40)];

    private static bool Violates(DtHistory history, bool planted)
    {
        try
        {
            DataTypeWorld.Run(history, (world, step) =>
            {
                for (int r = 0; r < world.Replicas.Count; r++) world.CheckReplica(r, $"after {step}");
            }, removesIgnoreClientContext: planted);
            return false;
        }
        catch (Xunit.Sdk.XunitException)
        {
            return true;
        }
    }

    [Theory]
    [InlineData(DataTypeKind.Set)]
    [InlineData(DataTypeKind.Map)]
    public void A_remove_that_drops_adds_its_client_did_not_see_is_caught(DataTypeKind kind)
    {
        var histories = Sample(kind, 60);
        int caught = histories.Count(h => Violates(h, planted: true));
        output.WriteLine($"{DataTypeNames.Of(kind)}: the planted bug is caught in {caught} of {histories.Count} histories");
        Assert.True(caught >= 10, $"the model caught the planted bug in only {caught} of {histories.Count} histories");
        Assert.DoesNotContain(histories, h => Violates(h, planted: false));
    }
}
