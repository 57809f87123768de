using Orleans;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// One silo's endpoint for silo-to-silo requests (gossip, forwarded client requests, hints, Merkle exchange,
/// ownership transfer), keyed by the silo's name and placed on that silo.
/// </summary>
[Alias("od.ISiloGrain")]
public interface ISiloGrain : IGrainWithStringKey
{
    [Alias("send")]
    Task<TResponse> SendAsync<TResponse>(ISiloRequest<TResponse> request, CancellationToken cancellationToken);
}

/// <summary>One partition replica on its owner silo (a riak_core vnode), keyed "{partition}@{silo}".</summary>
[Alias("od.IPartitionReplicaGrain")]
public interface IPartitionReplicaGrain : IGrainWithStringKey
{
    [Alias("read")]
    Task<ReplicaReadResult> ReadAsync(ReplicaRead request, CancellationToken cancellationToken);

    [Alias("write")]
    Task<ReplicaWriteResult> WriteAsync(ReplicaWrite request, CancellationToken cancellationToken);

    /// <summary>The name of the silo this activation runs on.</summary>
    [Alias("where")]
    Task<string> WhereAsync();
}
