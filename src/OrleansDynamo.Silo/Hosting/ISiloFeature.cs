namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// A capability of the silo that installs itself into a <see cref="SiloRuntime"/> (hinted handoff,
/// anti-entropy, ownership transfer, metrics...): it registers its request handlers, wire methods,
/// background loops, HTTP endpoints and change observers. Every non-abstract implementation in the
/// silo assembly is created once per silo, in <see cref="Order"/> then name order, at construction.
/// </summary>
public interface ISiloFeature
{
    /// <summary>Lower runs first (a feature that others use, such as admission control, goes early).</summary>
    int Order => 0;

    void Install(SiloRuntime silo);
}
