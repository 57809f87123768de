using Microsoft.Extensions.Logging.Abstractions;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Storage;
using OrleansDynamo.Storage.Faults;

namespace OrleansDynamo.Simulation.World;

/// <summary>
/// The whole simulated world of one seed: the scheduler and clock, the network, the disks, and the
/// silos (real <see cref="SiloRuntime"/>s, with every installed feature) running on them. All
/// randomness comes from <see cref="Random"/>, seeded once.
/// </summary>
public sealed class SimulatedCluster
{
    public const string ClusterName = "sim";
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<SimSilo> _silos = [];
    private readonly SimulationOptions _options;
    private double _storeFaultRate;

    public SimulatedCluster(int seed, SimulationOptions options)
    {
        Seed = seed;
        _options = options;
        Random = new Random(seed);
        Scheduler = new SimScheduler(Epoch);
        Trace = new SimTrace(Scheduler.Time);
        Network = new SimulatedNetwork(Scheduler, Random, Trace);
        PartitionCount = Random.Next(2) == 0 ? 16 : 32;
        Durability = options.Durability ?? (Random.Next(4) == 0 ? DurabilityMode.Normal : DurabilityMode.Full);
        // Checkpoints: writes older than this are on disk for good.
        Scheduler.Time.CreateTimer(_ =>
        {
            foreach (var s in _silos) s.Disk.Sync();
        }, null, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
    }

    public int Seed { get; }

    public Random Random { get; }

    public SimScheduler Scheduler { get; }

    public SimulatedTime Time => Scheduler.Time;

    public SimTrace Trace { get; }

    public SimulatedNetwork Network { get; }

    public int PartitionCount { get; }

    public DurabilityMode Durability { get; }

    public int GossipIntervalMs { get; } = 200;

    public int RequestTimeoutMs { get; } = 1000;

    public int ReplicaTimeoutMs { get; } = 400;

    public IReadOnlyList<SimSilo> Silos => _silos;

    public IEnumerable<SimSilo> Up => _silos.Where(s => s.IsUp);

    public SimSilo Silo(string name) => _silos.First(s => s.Name == name);

    public static string AddressOf(int index) => $"http://sim-silo{index}:{11000 + index}";

    /// <summary>Probability that a data write or hint append fails on a silo's disk (a flaky disk).</summary>
    public double StoreFaultRate
    {
        get => _storeFaultRate;
        set => _storeFaultRate = value;
    }

    /// <summary>Creates a silo slot (seeds: every silo created before it, or all when none).</summary>
    public SimSilo AddSilo(IReadOnlyList<string>? seeds = null)
    {
        int index = _silos.Count;
        string name = "silo" + index;
        var options = new SiloOptions
        {
            SiloName = name,
            ClusterName = ClusterName,
            Host = "sim-silo" + index,
            GrpcPort = 11000 + index,
            HttpPort = 0,
            StorageEngine = "memory",
            Durability = Durability,
            PartitionCount = PartitionCount,
            GossipIntervalMs = GossipIntervalMs,
            RequestTimeoutMs = RequestTimeoutMs,
            ReplicaTimeoutMs = ReplicaTimeoutMs,
            DefaultBucket = new BucketOptions { N = 3, R = 2, W = 2 },
        };
        var errors = options.Validate();
        if (errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors));
        // Each silo's clock is off by a constant skew: mostly milliseconds, sometimes minutes.
        double skewMs = Random.Next(4) == 0 ? (Random.NextDouble() * 2 - 1) * 300_000 : (Random.NextDouble() * 2 - 1) * 2_000;
        var silo = new SimSilo(name, options, new SimulatedDisk(Scheduler, Durability), new SkewedTime(Time) { Skew = TimeSpan.FromMilliseconds(skewMs) }, seeds?.ToList() ?? []);
        _silos.Add(silo);
        Network.Register(name, options.AdvertisedGrpcAddress);
        Trace.Fault($"{name} clock skew {skewMs:0} ms");
        return silo;
    }

    /// <summary>Starts a new incarnation of <paramref name="silo"/> over its surviving disk.</summary>
    public void Start(SimSilo silo)
    {
        if (silo.IsUp) throw new InvalidOperationException($"{silo.Name} is up already");
        silo.Incarnation++;
        var context = Scheduler.CreateContext($"{silo.Name}#{silo.Incarnation}");
        var faulty = new FaultInjectingPartitionStore(silo.Disk, InjectStoreFault);
        IPartitionStore store = _options.WrapStore?.Invoke(silo.Name, faulty) ?? faulty;
        var transport = Network.TransportFor(silo.Name);
        if (_options.WrapTransport is { } wrap) transport = wrap(silo.Name, transport);
        var random = new Random(Random.Next());
        var saved = SynchronizationContext.Current;
        SiloRuntime runtime;
        try
        {
            // Built inside its own context, so whatever the constructor or a feature starts belongs to it.
            SynchronizationContext.SetSynchronizationContext(context);
            runtime = new SiloRuntime(silo.Options, store, transport, silo.Time, random, NullLoggerFactory.Instance, peers: () => silo.Seeds);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
        silo.Runtime = runtime;
        silo.Context = context;
        silo.FaultyStore = faulty;
        Network.Attach(silo.Name, context, runtime.Dispatcher);
        Scheduler.Spawn(context, () => runtime.StartAsync(CancellationToken.None));
        Trace.Fault($"start {silo.Name} incarnation {silo.Incarnation}");
    }

    private Exception? InjectStoreFault(string operation)
    {
        if (_storeFaultRate <= 0 || operation is not (StoreOperation.Write or StoreOperation.HintAppend)) return null;
        return Random.NextDouble() < _storeFaultRate ? new InjectedStorageFaultException(operation) : null;
    }

    /// <summary>Kills the process: its pending work and timers vanish; in Normal mode unsynced writes may be lost.</summary>
    public void Crash(SimSilo silo)
    {
        if (!silo.IsUp) return;
        silo.Context!.Kill();
        Network.Detach(silo.Name);
        ProcessResources.Release(silo.Runtime!);
        silo.Runtime = null;
        int lost = silo.Disk.Crash(Random.Next(0, 6));
        Trace.Fault($"crash {silo.Name}" + (lost > 0 ? $" losing {lost} unsynced writes" : ""));
    }

    public void Pause(SimSilo silo)
    {
        if (!silo.IsUp || silo.IsPaused) return;
        silo.Context!.Pause();
        Trace.Fault($"pause {silo.Name}");
    }

    public void Resume(SimSilo silo)
    {
        if (!silo.IsPaused) return;
        silo.Context!.Resume();
        Trace.Fault($"resume {silo.Name}");
    }

    /// <summary>The end of the run: every incarnation still up lets go of what it registered process-wide.</summary>
    public void Release()
    {
        foreach (var s in _silos)
        {
            if (s.Runtime is { } runtime) ProcessResources.Release(runtime);
            s.Context?.Kill();
        }
    }

    /// <summary>Removes every fault: links, loss, disk faults, pauses; restarts crashed silos.</summary>
    public void HealAll()
    {
        Network.HealAll();
        Network.LossRate = 0;
        Network.DuplicateRate = 0;
        Network.SlowRate = 0;
        StoreFaultRate = 0;
        foreach (var s in _silos)
        {
            if (s.IsPaused) Resume(s);
            if (!s.IsUp && !s.Retired) Start(s);
        }
        Trace.Fault("heal all");
    }

    /// <summary>True when every silo slot runs, all hold the same membership history, and each is a member of the ring.</summary>
    /// <summary>Each active silo's part in <see cref="MembershipConverged"/>, for a violation's message.</summary>
    public string MembershipView() => string.Join("; ", _silos.Where(s => !s.Retired).Select(s =>
        !s.IsUp ? $"{s.Name}: down" :
        !s.Runtime!.Started ? $"{s.Name}: not started" :
        $"{s.Name}: history {s.Runtime.Membership.History.Digest}, " +
        string.Join(",", s.Runtime.Membership.State.Members.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => $"{m.Name}={m.Status}"))));

    public bool MembershipConverged()
    {
        var active = _silos.Where(s => !s.Retired).ToList();
        if (active.Count == 0 || active.Any(s => !s.IsUp || !s.Runtime!.Started)) return false;
        var digest = active[0].Runtime!.Membership.History.Digest;
        if (active.Any(s => s.Runtime!.Membership.History.Digest != digest)) return false;
        var state = active[0].Runtime!.Membership.State;
        return state.Ring is not null && active.All(s => state.Member(s.Name) is not null);
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on <paramref name="silo"/> as a client would: the call crosses
    /// the network into the silo's context; the caller gives up after <paramref name="timeout"/>.
    /// </summary>
    public Task<T> CallAsync<T>(SimSilo silo, Func<SiloRuntime, Task<T>> operation, TimeSpan timeout)
    {
        var reply = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!silo.IsUp)
        {
            reply.SetException(DynamoException.Unavailable($"{silo.Name}: connection refused (silo down)"));
            return reply.Task;
        }
        var runtime = silo.Runtime!;
        var context = silo.Context!;
        Time.CreateTimer(static s =>
        {
            var (r, name) = ((TaskCompletionSource<T>, string))s!;
            r.TrySetException(new DynamoException(DynamoErrorKind.Timeout, $"client gave up waiting for {name}"));
        }, (reply, silo.Name), timeout, Timeout.InfiniteTimeSpan);
        var hop = TimeSpan.FromMilliseconds(0.1 + Random.NextDouble());
        Time.Schedule(hop, context, () => _ = ForwardAsync(operation, runtime, reply, hop));
        return reply.Task;
    }

    private async Task ForwardAsync<T>(Func<SiloRuntime, Task<T>> operation, SiloRuntime runtime, TaskCompletionSource<T> reply, TimeSpan hop)
    {
        T result;
        try
        {
            result = await operation(runtime);
        }
        catch (Exception e)
        {
            Time.Schedule(hop, Scheduler.World, () => reply.TrySetException(e));
            return;
        }
        Time.Schedule(hop, Scheduler.World, () => reply.TrySetResult(result));
    }
}
