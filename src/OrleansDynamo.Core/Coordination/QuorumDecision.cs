namespace OrleansDynamo.Core.Coordination;

/// <summary>Where a quorum request stands. Once it leaves <see cref="Pending"/> it never changes.</summary>
public enum QuorumDecision
{
    Pending = 0,
    Succeeded = 1,
    Failed = 2,
}
