namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// A service that exchanges partitions with other replicas (anti-entropy) implements this on its
/// feature so /api/partitions can show each partition's last exchange; null when never exchanged.
/// </summary>
public interface IPartitionExchangeReporter
{
    DateTimeOffset? LastExchange(int partition);
}
