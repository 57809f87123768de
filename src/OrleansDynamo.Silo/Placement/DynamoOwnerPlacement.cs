using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Placement;

/// <summary>
/// Places a grain on the one silo its key names (a partition replica's owner, or a silo's own endpoint grain):
/// the Dynamo ring decides ownership, Orleans only hosts. Never placed elsewhere.
/// </summary>
/// <remarks>
/// Such a grain's location is a function of its key and cluster membership, so it is not registered in Orleans'
/// grain directory: a call needs no directory lookup, and a silo's death cannot take directory entries with it
/// (with the directory, every activation registered in the dead silo's directory partition was deactivated and
/// calls to it failed until membership declared the silo dead, about a second of failed puts after a kill).
/// </remarks>
[GenerateSerializer, Immutable]
public sealed class DynamoOwnerPlacement : PlacementStrategy
{
    public static DynamoOwnerPlacement Instance { get; } = new();

    public override bool IsUsingGrainDirectory => false;
}

/// <summary>Marks a grain class whose key names the silo it must run on (<see cref="GrainKeys.OwnerOf"/>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DynamoOwnerPlacementAttribute() : PlacementAttribute(DynamoOwnerPlacement.Instance);
