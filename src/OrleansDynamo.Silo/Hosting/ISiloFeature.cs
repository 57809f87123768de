namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// A capability of the silo that installs itself into a <see cref="SiloRuntime"/> (hinted handoff,
/// anti-entropy, ownership transfer, metrics...): it registers its request handlers, background loops,
/// HTTP endpoints and change observers. The silo creates each once, in the order its feature list names.
/// </summary>
public interface ISiloFeature
{
    void Install(SiloRuntime silo);
}
