using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// Consulted by the coordinator after every read of this silo's own replica (its local reads as
/// coordinator and the replica reads it serves). Ownership transfer implements it: while a partition's
/// inbound transfer is not complete, the new owner also reads the key from the old owners and answers
/// the merge, so a read with R &lt; N does not miss a value that has not arrived yet.
/// </summary>
public interface IReadThrough
{
    /// <summary>What this replica answers for <paramref name="key"/>, given what its store holds (<paramref name="local"/>).</summary>
    ValueTask<SiblingSet?> ReadThroughAsync(int partition, DynamoKey key, SiblingSet? local, CancellationToken cancellationToken);
}
