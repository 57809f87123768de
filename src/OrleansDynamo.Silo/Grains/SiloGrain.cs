using Orleans;
using Orleans.Concurrency;
using OrleansDynamo.Silo.Transport;

using OrleansDynamo.Silo.Placement;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// A thin adapter: hands each request to the silo's dispatcher, where the Dynamo logic registered its handler.
/// Reentrant: requests interleave (each component keeps its own per-key turns), so A→B→A never deadlocks.
/// </summary>
[Reentrant]
[DynamoOwnerPlacement]
internal sealed class SiloGrain(SiloRuntime silo) : OwnerPinnedGrain(silo), ISiloGrain
{
    public Task<TResponse> SendAsync<TResponse>(ISiloRequest<TResponse> request, CancellationToken cancellationToken) =>
        Silo.Dispatcher.DispatchAsync(request, cancellationToken);
}

/// <summary>
/// A partition replica as an Orleans grain, on the silo the ring names: replica reads and writes go to the
/// silo's partition logic, which keeps one turn per key (different keys proceed in parallel).
/// </summary>
[Reentrant]
[DynamoOwnerPlacement]
internal sealed class PartitionReplicaGrain(SiloRuntime silo) : OwnerPinnedGrain(silo), IPartitionReplicaGrain
{
    public Task<Coordination.ReplicaReadResult> ReadAsync(Coordination.ReplicaRead request, CancellationToken cancellationToken) =>
        Silo.Coordinator.HandleReplicaReadAsync(request, cancellationToken);

    public Task<Coordination.ReplicaWriteResult> WriteAsync(Coordination.ReplicaWrite request, CancellationToken cancellationToken) =>
        Silo.Coordinator.HandleReplicaWriteAsync(request, cancellationToken);

    public Task<string> WhereAsync() => Task.FromResult(Silo.Name);
}
