using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using OrleansDynamo.Silo.Membership;

namespace OrleansDynamo.Silo.Placement;

/// <summary>
/// Picks the active Orleans member whose name is the grain key's owner (the newest incarnation when an old
/// one is not yet declared dead). When that silo is not active the call fails at once with
/// <see cref="OwnerUnavailableException"/>, and the coordinator moves down the preference list.
/// Runs on the calling silo.
/// </summary>
public sealed class DynamoOwnerPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        string owner = GrainKeys.OwnerOf(target.GrainIdentity.Key.ToString()!);
        return ActiveMembers.Newest(membership.CurrentSnapshot, owner) is { } chosen ? Task.FromResult(chosen) : throw new OwnerUnavailableException(owner);
    }
}

/// <summary>The silo a grain must run on is not an active member of the cluster.</summary>
[GenerateSerializer]
public sealed class OwnerUnavailableException : Exception
{
    public OwnerUnavailableException(string owner) : base($"{owner}: not an active member of the cluster") => Owner = owner;

    [Id(0)]
    public string Owner { get; private set; }
}
