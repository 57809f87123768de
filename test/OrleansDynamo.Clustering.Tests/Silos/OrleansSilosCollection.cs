using Xunit;

namespace OrleansDynamo.Clustering.Tests.Silos;

/// <summary>
/// The tests that run real Orleans silos: one at a time and alone (no other test in parallel), so
/// failure-detection timings on a 2-core machine are not starved by unrelated work.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OrleansSilosCollection
{
    public const string Name = "Orleans silos";
}
