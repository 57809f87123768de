using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace OrleansDynamo.Clustering.Tests.Grains;

/// <summary>Activated on the silo that first calls it (a client's call: the gateway it went through).</summary>
[PreferLocalPlacement]
public sealed class EchoGrain(ILocalSiloDetails silo) : Grain, IEchoGrain
{
    public Task<string> SiloName() => Task.FromResult(silo.Name);
}
