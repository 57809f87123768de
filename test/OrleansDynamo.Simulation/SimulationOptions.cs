using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Simulation;

/// <summary>What one simulated run looks like. Everything not fixed here is drawn from the seed.</summary>
public sealed class SimulationOptions
{
    /// <summary>Silos at start; null draws 3-5 from the seed.</summary>
    public int? Silos { get; set; }

    /// <summary>Keys the clients fight over (few, so conflicts are frequent).</summary>
    public int Keys { get; set; } = 6;

    public int Clients { get; set; } = 3;

    /// <summary>Simulated duration of the load phase (clients and nemesis active).</summary>
    public TimeSpan LoadDuration { get; set; } = TimeSpan.FromSeconds(12);

    /// <summary>Turns the nemesis on (faults during the load phase).</summary>
    public bool Nemesis { get; set; } = true;

    /// <summary>
    /// Lets the nemesis add and remove silos during load (one fault in eleven is a join or a leave). On by
    /// default since ownership transfer landed (1,000 seeds clean with it); OD_SIM_MEMBERSHIP=0 turns it off.
    /// </summary>
    public bool MembershipChanges { get; set; } = Environment.GetEnvironmentVariable("OD_SIM_MEMBERSHIP") != "0";

    /// <summary>
    /// Lets the nemesis step a silo's clock during the run (an NTP correction; steps go backwards too).
    /// Off by default until hint delivery schedules its backoff on monotonic time (a backward step
    /// stalls it by the step's size); OD_SIM_CLOCK_STEPS=1 turns it on. Every silo always runs with a
    /// constant skew drawn from the seed.
    /// </summary>
    public bool ClockSteps { get; set; } = Environment.GetEnvironmentVariable("OD_SIM_CLOCK_STEPS") == "1";

    /// <summary>Durability of every disk; null draws it from the seed (mostly Full).</summary>
    public DurabilityMode? Durability { get; set; }

    /// <summary>
    /// Whether the hint logs must be empty at the end. Null: required when a hint-delivery feature is
    /// installed in the silos (an <see cref="Silo.Hosting.ISiloFeature"/> whose type name mentions "Hint").
    /// </summary>
    public bool? RequireHintsDrained { get; set; }

    /// <summary>Adds clients on typed buckets (a counter and a set per key) and <see cref="Checkers.TypedChecker"/> at the end.</summary>
    public bool Typed { get; set; }

    /// <summary>Test hook: wraps a silo's transport (a planted fault).</summary>
    public Func<string, ISiloTransport, ISiloTransport>? WrapTransport { get; set; }

    /// <summary>Test hook: wraps a silo incarnation's store (a planted fault).</summary>
    public Func<string, IPartitionStore, IPartitionStore>? WrapStore { get; set; }
}
