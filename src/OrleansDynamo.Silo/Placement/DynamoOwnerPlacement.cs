using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Placement;

/// <summary>
/// Places a grain on the one silo its key names (a partition replica's owner, or a silo's own endpoint grain):
/// the Dynamo ring decides ownership, Orleans only hosts. Never placed elsewhere.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class DynamoOwnerPlacement : PlacementStrategy
{
    public static DynamoOwnerPlacement Instance { get; } = new();

    public override bool IsUsingGrainDirectory => true;
}

/// <summary>Marks a grain class whose key names the silo it must run on (<see cref="GrainKeys.OwnerOf"/>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class DynamoOwnerPlacementAttribute() : PlacementAttribute(DynamoOwnerPlacement.Instance);
