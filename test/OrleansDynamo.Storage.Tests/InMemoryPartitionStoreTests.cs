using OrleansDynamo.Storage.Memory;

namespace OrleansDynamo.Storage.Tests;

/// <summary>The conformance suite against <see cref="InMemoryPartitionStore"/>.</summary>
public sealed class InMemoryPartitionStoreTests : PartitionStoreConformance
{
    protected override IPartitionStore CreateStore() => new InMemoryPartitionStore();
}
