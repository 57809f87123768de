namespace OrleansDynamo.Core.Coordination;

/// <summary>How a bucket reconciles concurrent versions. Values are persisted: only append.</summary>
public enum ConflictPolicy
{
    /// <summary>Keep every causally unrelated version and hand them all to the client (the default).</summary>
    Siblings = 0,

    /// <summary>Keep only the version with the newest timestamp (<see cref="Versioning.SiblingSet.ResolveLastWriteWins"/>).</summary>
    LastWriteWins = 1,
}
