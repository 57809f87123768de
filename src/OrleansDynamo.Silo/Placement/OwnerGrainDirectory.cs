using System.Diagnostics.CodeAnalysis;
using Orleans;
using Orleans.GrainDirectory;
using Orleans.Metadata;
using Orleans.Runtime;
using Orleans.Runtime.GrainDirectory;
using OrleansDynamo.Silo.Membership;

namespace OrleansDynamo.Silo.Placement;

/// <summary>
/// The grain directory of owner-pinned grains: where such a grain runs is a function of its key and cluster
/// membership (<see cref="DynamoOwnerPlacementDirector"/>), so a lookup is answered here, on the calling silo, with
/// no message. Orleans' default distributed directory would ask the silo owning the grain's directory partition:
/// for about a second after a silo is killed, every first call to a replica grain whose partition that silo held
/// failed (found by the real-process fault tests). Nothing registers here: the grains opt out of registration
/// (<see cref="DynamoOwnerPlacement.IsUsingGrainDirectory"/>).
/// </summary>
public sealed class OwnerGrainDirectory(IClusterMembershipService membership) : IGrainDirectory
{
    /// <summary>The active incarnation of the silo the key names, or null (placement then fails fast).</summary>
    public Task<GrainAddress?> Lookup(GrainId grainId)
    {
        var snapshot = membership.CurrentSnapshot;
        var owner = ActiveMembers.Newest(snapshot, GrainKeys.OwnerOf(grainId.Key.ToString()!));
        return Task.FromResult(owner is null ? null : new GrainAddress { GrainId = grainId, SiloAddress = owner, MembershipVersion = snapshot.Version });
    }

    public Task<GrainAddress?> Register(GrainAddress address) => Task.FromResult<GrainAddress?>(address);

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}

/// <summary>Gives every grain type placed by <see cref="DynamoOwnerPlacement"/> the <see cref="OwnerGrainDirectory"/>.</summary>
public sealed class OwnerGrainDirectoryResolver(OwnerGrainDirectory directory) : IGrainDirectoryResolver
{
    public bool TryResolveGrainDirectory(GrainType grainType, GrainProperties? properties, [NotNullWhen(true)] out IGrainDirectory? grainDirectory)
    {
        if (properties is not null
            && properties.Properties.TryGetValue(WellKnownGrainTypeProperties.PlacementStrategy, out var strategy)
            && strategy == nameof(DynamoOwnerPlacement))
        {
            grainDirectory = directory;
            return true;
        }
        grainDirectory = null;
        return false;
    }
}
