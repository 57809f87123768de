namespace OrleansDynamo.Client;

/// <summary>The answer to a put or delete.</summary>
/// <param name="Context">The context of the new version (pass it to the next write of the key).</param>
/// <param name="ReplicasAcked">
/// Replicas that had taken the write (the coordinator's own included) when the coordinator answered: at least W, or
/// fewer when the cluster has fewer distinct silos for the key than W asks (the store counts the write as done once
/// every replica it has took it). Replicas that acknowledge after the answer are not counted.
/// </param>
/// <param name="Coordinator">The name of the silo that coordinated the write.</param>
public sealed record PutResult(DynamoContext Context, int ReplicasAcked, string Coordinator);
