using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Simulation.World;

/// <summary>One silo slot of the simulated cluster: its disk and clock survive restarts; the runtime does not.</summary>
public sealed class SimSilo(string name, SiloOptions options, SimulatedDisk disk, SkewedTime time, IReadOnlyList<string> seeds)
{
    /// <summary>The silos (addresses) it gossips with to meet the cluster.</summary>
    public IReadOnlyList<string> Seeds { get; } = seeds;

    public string Name { get; } = name;

    public SiloOptions Options { get; } = options;

    public SimulatedDisk Disk { get; } = disk;

    public SkewedTime Time { get; } = time;

    /// <summary>The running incarnation, or null while crashed.</summary>
    public SiloRuntime? Runtime { get; set; }

    public SimContext? Context { get; set; }

    public Storage.Faults.FaultInjectingPartitionStore? FaultyStore { get; set; }

    public int Incarnation { get; set; }

    /// <summary>Left the cluster (membership); never restarted.</summary>
    public bool Retired { get; set; }

    public bool IsUp => Runtime is not null && Context is { Alive: true };

    public bool IsPaused => Context is { Paused: true };

    public override string ToString() => Name;
}
