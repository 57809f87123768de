namespace OrleansDynamo.Client;

/// <summary>What one replica holds for a key.</summary>
/// <param name="Silo">The replica's silo name.</param>
/// <param name="Reachable">False when the silo could not be asked.</param>
/// <param name="Found">True when it holds a version of the key.</param>
/// <param name="Siblings">The versions it holds (tombstones included, marked deleted).</param>
/// <param name="Error">Why it could not be asked, empty otherwise.</param>
public sealed record ReplicaState(string Silo, bool Reachable, bool Found, IReadOnlyList<SiblingValue> Siblings, string Error);

/// <summary>A key's partition, preference list and what every replica in it holds (for debugging divergence).</summary>
public sealed record ReplicaReport(int Partition, IReadOnlyList<string> PreferenceList, IReadOnlyList<ReplicaState> Replicas);
