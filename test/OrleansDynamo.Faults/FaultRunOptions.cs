namespace OrleansDynamo.Faults;

/// <summary>One fault run's settings: the seed decides the nemesis schedule; the rest bounds its size and time.</summary>
public sealed record FaultRunOptions
{
    /// <summary>Decides the nemesis schedule (and the workload's key choices). The same seed replays the same schedule.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Silo processes (3-5).</summary>
    public int Silos { get; init; } = 3;

    /// <summary>How long the nemesis runs (no new fault starts after this).</summary>
    public TimeSpan FaultTime { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>At most this many fault steps (the first eight are each fault once); 0: as many as fit in <see cref="FaultTime"/>.</summary>
    public int MaxSteps { get; init; }

    /// <summary>After each heal, how long the sample of keys written during the fault may take to converge before the next fault.</summary>
    public TimeSpan HealWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>After the final heal: every key's N replicas must agree (without client reads) within this.</summary>
    public TimeSpan ConvergenceBound { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After convergence: every silo's hints must drain to zero within this.</summary>
    public TimeSpan HintDrainBound { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause of each workload task between two operations (bounds the load on a shared machine).</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(60);

    public int UniqueWriters { get; init; } = 3;
    public int BlindWriters { get; init; } = 2;
    public int HotKeys { get; init; } = 4;
    public int Deleters { get; init; } = 2;

    /// <summary>Partitions on the ring (small: trees build and exchange fast).</summary>
    public int Partitions { get; init; } = 64;

    /// <summary>Size of each silo's data tmpfs (the disk-full fault fills it).</summary>
    public int DataMegabytes { get; init; } = 48;

    /// <summary>A planted bug (Silo:FaultInjection:Plant; no-read-repair also turns anti-entropy off), or empty.</summary>
    public string Plant { get; init; } = "";

    /// <summary>Clock-skew faults may also set a clock behind (see <see cref="Nemesis.Plan"/>); default ahead only.</summary>
    public bool ClockBehind { get; init; }

    /// <summary>Where the run keeps its files; default a new directory under /tmp.</summary>
    public string? Directory { get; init; }

    /// <summary>Keep the run directory (logs, cluster db) after a passing run; a failing run always keeps it.</summary>
    public bool Keep { get; init; }

    /// <summary>The command that replays this run.</summary>
    public string ReplayCommand =>
        $"bench/faults.sh --seed {Seed} --seconds {(int)FaultTime.TotalSeconds} --silos {Silos}" + (MaxSteps > 0 ? $" --steps {MaxSteps}" : "") + (Plant.Length > 0 ? $" --plant {Plant}" : "") + (ClockBehind ? " --clock-behind" : "");

    /// <summary>The run that CI makes on every commit: fixed seed, 3 silos, about 2.5 minutes in all.</summary>
    public static FaultRunOptions Ci => new() { Seed = 18, Silos = 3, MaxSteps = 8, FaultTime = TimeSpan.FromSeconds(100) };

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Silos is < 3 or > 5) errors.Add($"silos must be 3-5, got {Silos}");
        if (FaultTime <= TimeSpan.Zero) errors.Add("fault time must be positive");
        if (Plant.Length > 0 && Plant is not ("ack-before-write" or "skip-tombstones" or "no-read-repair"))
            errors.Add($"plant must be ack-before-write, skip-tombstones or no-read-repair, got '{Plant}'");
        return errors;
    }
}
