using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Membership;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo;

/// <summary>
/// Everything one silo does, apart from how it is hosted: membership and gossip, partition grains,
/// coordination, and the background services. Takes every effect as a parameter (store, transport,
/// clock, random), so the same silo runs under Kestrel, inside a test process, or in the simulation.
/// </summary>
public sealed class SiloRuntime : IAsyncDisposable
{
    private readonly List<BackgroundLoop> _loops = [];
    private readonly List<ISiloFeature> _features = [];
    private readonly List<Task> _running = [];
    private readonly HashSet<Task<bool>> _rounds = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _log;

    /// <param name="detector">Liveness: Orleans cluster membership on a real silo; by default (the simulation) phi accrual over gossip.</param>
    /// <param name="peers">Silos to gossip the ring with beyond those it names: Orleans membership's active silos on a real silo, the seeds the simulation chose in it.</param>
    /// <param name="meters">The host's meter factory, whose meters its OpenTelemetry pipeline exports; none in the simulation.</param>
    public SiloRuntime(SiloOptions options, IPartitionStore store, ISiloTransport transport, TimeProvider time, Random random, ILoggerFactory loggers,
        IFailureDetector? detector = null, Func<IReadOnlyList<string>>? peers = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        Meters = meters;
        Options = options;
        Store = store;
        Transport = transport;
        Time = time;
        // Hint backoff, exchange jitter and gossip peers draw from it on different threads.
        Random = random as LockedRandom ?? new LockedRandom(random);
        Loggers = loggers;
        _log = loggers.CreateLogger("OrleansDynamo.Silo");
        Name = options.EffectiveSiloName;
        Detector = detector ?? new PhiFailureDetector(options.FailureDetection.ToSettings(options.GossipIntervalMs), time);
        var self = new MemberInfo(Name, options.AdvertisedGrpcAddress, string.IsNullOrWhiteSpace(options.Zone) ? null : options.Zone, options.Weight, options.AdvertisedHttpAddress,
            options.AdvertisedGatewayAddress);
        Membership = new MembershipManager(
            new MembershipSettings(options.ClusterName, options.ClusterSecret, self, options.PartitionCount,
                options.DefaultBucket.ToSettings(Core.Buckets.BucketSettings.DefaultName), peers ?? (() => []), options.AutoJoin,
                TimeSpan.FromMilliseconds(options.GossipIntervalMs), TimeSpan.FromMilliseconds(options.ReplicaTimeoutMs)),
            store.Metadata, transport, Detector, Random, Counters, loggers.CreateLogger("OrleansDynamo.Membership"));
        Replicas = new PartitionReplicas(Name, store, time, options.MaxClockEntries, TimeSpan.FromMilliseconds(options.GrainIdleTimeoutMs),
            Counters, loggers.CreateLogger("OrleansDynamo.Replicas"));
        Coordinator = new RequestCoordinator(Name, Membership, Detector, Replicas, transport, store, time, Counters,
            new CoordinatorSettings(TimeSpan.FromMilliseconds(options.RequestTimeoutMs), TimeSpan.FromMilliseconds(options.ReplicaTimeoutMs), options.Limits.MaxValueBytes,
                options.FaultInjection.ReadRepair, options.AllReplicaReadsBelow,
                options.ReadSpeculationDelayMs switch { 0 => null, -1 => Timeout.InfiniteTimeSpan, var ms => TimeSpan.FromMilliseconds(ms) }),
            loggers.CreateLogger("OrleansDynamo.Coordinator"));

        Dispatcher.Register<ReplicaRead, ReplicaReadResult>(Coordinator.HandleReplicaReadAsync);
        Dispatcher.Register<ReplicaWrite, ReplicaWriteResult>(Coordinator.HandleReplicaWriteAsync);
        Dispatcher.Register<GetCommand, GetOutcome>(Coordinator.GetAsync);
        Dispatcher.Register<PutCommand, PutOutcome>(Coordinator.PutAsync);
        Dispatcher.Register<UpdateCommand, UpdateOutcome>(Coordinator.UpdateAsync);
        Dispatcher.Register<FetchCommand, FetchOutcome>(Coordinator.FetchAsync);
        Dispatcher.Register<GossipRequest, GossipResponse>(Membership.HandleGossipAsync);
        Dispatcher.Register<MembershipCheck, GossipResponse>(Membership.HandleCheckAsync);

        _features.AddRange(CreateFeatures());

        AddLoop("gossip", TimeSpan.FromMilliseconds(options.GossipIntervalMs), Membership.GossipRoundAsync);
        AddLoop("grain-deactivation", TimeSpan.FromMilliseconds(Math.Max(1000, options.GrainIdleTimeoutMs / 4)), _ =>
        {
            Replicas.DeactivateIdle();
            return Task.CompletedTask;
        });
        foreach (var feature in _features) feature.Install(this);
    }

    /// <summary>
    /// The silo's capabilities, wired explicitly in the order they install: admission control first (the others take
    /// its slots), then the dot-epoch closer, hinted handoff, anti-entropy and ownership transfer (which observe
    /// partition changes in this order), then metrics and the dashboard, which read all of them, and last the REST API.
    /// </summary>
    private static ISiloFeature[] CreateFeatures() =>
    [
        new Admission.AdmissionFeature(),
        new DotEpochCloser(),
        new Hints.HintedHandoff(),
        new AntiEntropy.AntiEntropyService(),
        new Transfer.OwnershipTransferFeature(),
        new MetricsFeature(),
        new Dashboard.DashboardFeature(),
        new Rest.RestFeature(),
    ];

    public string Name { get; }

    public SiloOptions Options { get; }

    public IPartitionStore Store { get; }

    public ISiloTransport Transport { get; }

    public TimeProvider Time { get; }

    /// <summary>Jitter and random choices of this silo; safe to share between threads (<see cref="LockedRandom"/>).</summary>
    public Random Random { get; }

    public ILoggerFactory Loggers { get; }

    /// <summary>The host's meter factory (null in the simulation: its meters are then made directly).</summary>
    public System.Diagnostics.Metrics.IMeterFactory? Meters { get; }

    public SiloRequestDispatcher Dispatcher { get; } = new();

    /// <summary>Extra HTTP endpoints (JSON API, dashboard, metrics) that features add; mapped by the host.</summary>
    public List<Action<Microsoft.AspNetCore.Routing.IEndpointRouteBuilder>> EndpointMappers { get; } = [];

    public IFailureDetector Detector { get; }

    public MembershipManager Membership { get; }

    public PartitionReplicas Replicas { get; }

    public RequestCoordinator Coordinator { get; }

    public SiloCounters Counters { get; } = new();

    /// <summary>Slots for background work; a feature may install a latency-watching controller.</summary>
    public Admission.IBackgroundAdmission Admission { get; set; } = OrleansDynamo.Silo.Admission.UnlimitedAdmission.Instance;

    /// <summary>The installed feature of type <typeparamref name="T"/>, or null.</summary>
    public T? Feature<T>() where T : class, ISiloFeature => _features.OfType<T>().FirstOrDefault();

    public IReadOnlyList<ISiloFeature> Features => _features;

    public IReadOnlyList<BackgroundLoop> Loops => _loops;

    /// <summary>Services that move partitions register here so status can show their transfers.</summary>
    public List<ITransferReporter> TransferReporters { get; } = [];

    /// <summary>How this silo sees a member: up, unreachable, leaving or left (or joining, when asked, while it still receives partitions).</summary>
    public string StatusOf(MemberState member, bool showJoining = false) => member.Status switch
    {
        MemberStatus.Leaving => "leaving",
        MemberStatus.Left => "left",
        _ when showJoining && (member.Name == Name || Detector.IsReachable(member.Name)) && TransferReporters.Any(r => r.IsJoining(member.Name)) => "joining",
        _ when member.Name == Name || Detector.IsReachable(member.Name) => "up",
        _ => "unreachable",
    };

    public bool Started { get; private set; }

    /// <summary>The silo is stopping: background work ends and is not started again.</summary>
    public bool IsStopping => _stopping.IsCancellationRequested;

    /// <summary>Adds a background service; must be called before <see cref="StartAsync"/>.</summary>
    public BackgroundLoop AddLoop(string name, TimeSpan interval, Func<CancellationToken, Task> round)
    {
        if (Started) throw new InvalidOperationException("loops are added before the silo starts");
        var loop = new BackgroundLoop(name, interval, round, Time, _log);
        _loops.Add(loop);
        return loop;
    }

    /// <summary>Loads the silo's persisted state (dot epoch, membership) and starts its background work.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        StartBackgroundWork();
    }

    /// <summary>Loads the persisted state and records this silo's join (<see cref="LoadAsync"/>, then <see cref="RecordSelfAsync"/>).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        await RecordSelfAsync(cancellationToken);
    }

    /// <summary>
    /// Loads the persisted state (dot epoch, membership, the anti-entropy trees of a graceful stop) and records no membership event. A silo process does this
    /// before it listens anywhere, so no other silo's request (gossip above all) can reach it before its membership
    /// is loaded, and damaged state stops it before it has started anything.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        // Normal durability may have lost this silo's last writes in a crash: a new dot epoch then.
        await Replicas.Epoch.LoadAsync(Store.Metadata, Options.Durability == Storage.DurabilityMode.Normal, cancellationToken);
        await Membership.LoadAsync(cancellationToken);
        if (Feature<AntiEntropy.AntiEntropyService>() is { } antiEntropy) await antiEntropy.RestoreTreesAsync(cancellationToken);
    }

    /// <summary>
    /// At a graceful stop, once the silo serves nothing and its background work has stopped: saves what the next start
    /// may take up instead of rebuilding it (the anti-entropy trees).
    /// </summary>
    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        if (Feature<AntiEntropy.AntiEntropyService>() is { } antiEntropy) await antiEntropy.SaveTreesAsync(cancellationToken);
    }

    /// <summary>
    /// Records this silo's join (a fresh silo with auto-join) or its new addresses; a silo process calls it once all
    /// its ports are bound, so a silo that could not listen is never recorded as joined.
    /// </summary>
    public Task RecordSelfAsync(CancellationToken cancellationToken) => Membership.RecordSelfAsync(cancellationToken);

    /// <summary>
    /// Starts the background work and meets the seeds; after <see cref="InitializeAsync"/>. With
    /// <paramref name="scheduleLoops"/> the loops run on the silo's own clock (the simulation); an Orleans silo
    /// passes false and its background grain runs each round through <see cref="RunRoundAsync"/>.
    /// </summary>
    public void StartBackgroundWork(bool scheduleLoops = true)
    {
        Started = true;
        if (scheduleLoops)
        {
            foreach (var loop in _loops) _running.Add(loop.RunAsync(_stopping.Token));
        }
        MeetSeeds();
        _log.LogInformation("Silo {Silo} started in cluster {Cluster} at {Address}", Name, Options.ClusterName, Options.AdvertisedGrpcAddress);
    }

    /// <summary>Gossips with the seeds at once rather than after the first gossip interval (at start, and once this silo's join is recorded).</summary>
    public void MeetSeeds()
    {
        foreach (var seed in Membership.Seeds()) _ = Membership.GossipWithAsync(seed, _stopping.Token);
    }

    /// <summary>Runs one round of <paramref name="loop"/> now; <see cref="StopAsync"/> waits for it. False once the silo is stopping.</summary>
    public Task<bool> RunRoundAsync(BackgroundLoop loop)
    {
        if (_stopping.IsCancellationRequested) return Task.FromResult(false);
        var round = loop.RunOnceAsync(_stopping.Token);
        lock (_rounds) _rounds.Add(round);
        _ = round.ContinueWith(done =>
        {
            lock (_rounds) _rounds.Remove(done);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return round;
    }

    public async Task StopAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        try
        {
            Task[] rounds;
            lock (_rounds) rounds = [.. _rounds];
            await Task.WhenAll(_running.Concat(rounds));
        }
        catch (OperationCanceledException)
        {
        }
        _log.LogInformation("Silo {Silo} stopped", Name);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        foreach (var feature in _features)
        {
            if (feature is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else if (feature is IDisposable disposable) disposable.Dispose();
        }
        if (Transport is IAsyncDisposable t) await t.DisposeAsync();
        await Store.DisposeAsync();
        _stopping.Dispose();
    }
}
