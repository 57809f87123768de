using Orleans;
using OrleansDynamo.Silo.Placement;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// A grain that must run on the silo its key names (<see cref="DynamoOwnerPlacement"/>): an activation anywhere
/// else refuses to start, so a placement mistake fails a call instead of serving from the wrong silo's store.
/// Each concrete grain carries <see cref="DynamoOwnerPlacementAttribute"/> itself.
/// </summary>
internal abstract class OwnerPinnedGrain(SiloRuntime silo) : Grain
{
    protected SiloRuntime Silo { get; } = silo;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string owner = GrainKeys.OwnerOf(this.GetPrimaryKeyString());
        return owner == Silo.Name
            ? Task.CompletedTask
            : throw new DynamoException(DynamoErrorKind.Unavailable, $"{owner}: its {GetType().Name} was placed on {Silo.Name}");
    }
}
