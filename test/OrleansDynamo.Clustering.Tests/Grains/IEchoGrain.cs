using Orleans;

namespace OrleansDynamo.Clustering.Tests.Grains;

/// <summary>A tiny grain that says which silo it lives on.</summary>
public interface IEchoGrain : IGrainWithIntegerKey
{
    Task<string> SiloName();
}
