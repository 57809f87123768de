using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.Memory;

namespace OrleansDynamo.Storage.Tests;

/// <summary>The conformance suite against <see cref="InMemoryPartitionStore"/>.</summary>
public sealed class InMemoryPartitionStoreTests : PartitionStoreConformance
{
    protected override IPartitionStore CreateStore() => new InMemoryPartitionStore();

    protected override Task<long> PlantHintAsync(string target, int partition, DynamoKey key, byte[] blob, long createdAtMs) =>
        Task.FromResult(((InMemoryHintLog)Store.Hints).AppendRaw(target, partition, key, blob, createdAtMs));

    protected override Task PlantValueAsync(int partition, DynamoKey key, byte[] blob)
    {
        ((InMemoryPartitionStore)Store).WriteRaw(partition, key, blob);
        return Task.CompletedTask;
    }
}
