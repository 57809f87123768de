using Xunit;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Tests that run clusters of real silo processes: one at a time and not beside other test classes, so their
/// deadlines measure the silos rather than a neighbour's load.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealProcessCollection
{
    public const string Name = "Real silo processes";
}
