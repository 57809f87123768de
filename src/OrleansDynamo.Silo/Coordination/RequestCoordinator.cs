using System.Text;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Membership;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>
/// Coordinator timeouts, and the largest value this silo takes whatever a bucket allows (<c>Silo:Limits:MaxValueBytes</c>;
/// a bucket defined with a larger limit on a silo configured otherwise is held to it).
/// </summary>
/// <param name="ReadRepair">False only as a planted bug (<see cref="FaultInjection.FaultInjectionOptions.NoReadRepair"/>).</param>
/// <param name="AllReplicaReadsBelow">While fewer gets than this are in flight here, a get asks every replica; from then on R of them.</param>
/// <param name="ReadSpeculationDelay">How long a get that asked R replicas waits before asking the rest; null: the p99 of recent gets.</param>
public sealed record CoordinatorSettings(TimeSpan RequestTimeout, TimeSpan ReplicaTimeout, int MaxValueBytes = Limits.LimitsOptions.CeilingValueBytes, bool ReadRepair = true,
    int AllReplicaReadsBelow = 2, TimeSpan? ReadSpeculationDelay = null);

/// <summary>
/// Partitions in motion as a coordinator sees them. <paramref name="Moving"/>: this silo receives partitions (a join or a
/// leave under way), so its gets ask every replica, since a new owner reads through to the old one for keys not yet
/// received (itself, and in a leave other old silos receiving beside it). <paramref name="Joining"/>: silos that joined in
/// the last ring change and still receive partitions; a get that asks R replicas, and a forwarded request, asks them last.
/// </summary>
public sealed record PartitionMotion(bool Moving, IReadOnlySet<string> Joining)
{
    public static readonly PartitionMotion None = new(false, new HashSet<string>());
}

/// <summary>
/// Coordinates gets and puts for any key (Dynamo §4.5): checks the request, finds the key's replicas
/// (sloppy quorum), forwards when this silo is not one of them, and otherwise runs the quorum with
/// the core's pure <see cref="PutCore"/>/<see cref="GetCore"/> while this class only sends and waits.
/// </summary>
public sealed partial class RequestCoordinator(
    string self,
    MembershipManager membership,
    IFailureDetector detector,
    PartitionReplicas grains,
    ISiloTransport transport,
    IPartitionStore store,
    TimeProvider time,
    SiloCounters counters,
    CoordinatorSettings settings,
    ILogger log)
{
    public string Self => self;

    private IRequestObserver[] _observers = [];

    /// <summary>Adds an observer of finished requests (metrics); call before the silo serves.</summary>
    public void AddObserver(IRequestObserver observer) => _observers = [.. _observers, observer];

    private void Observe(string operation, RequestSide side, long startTimestamp, DynamoErrorKind? error, int versions, int partition)
    {
        var observers = _observers;
        if (observers.Length == 0) return;
        var e = new RequestEvent(operation, side, time.GetElapsedTime(startTimestamp), error, versions, partition);
        foreach (var o in observers) o.OnRequest(e);
    }

    private static DynamoErrorKind ErrorKindOf(Exception e) => e switch
    {
        DynamoException d => d.Kind,
        OperationCanceledException => DynamoErrorKind.Timeout,
        Storage.StorageLimitException => DynamoErrorKind.InvalidArgument,
        Storage.StorageFullException => DynamoErrorKind.Unavailable,
        _ => DynamoErrorKind.Internal,
    };

    internal (BucketSettings Bucket, DynamoKey Key) Resolve(ClusterState state, string? bucketName, string? key)
    {
        string name = string.IsNullOrEmpty(bucketName) ? BucketSettings.DefaultName : bucketName;
        if (KeyValidation.CheckKey(key) is { } badKey) throw Invalid(badKey);
        if (!state.Buckets.TryGetValue(name, out var bucket))
        {
            counters.Add(CounterNames.InvalidRequests);
            throw new DynamoException(DynamoErrorKind.NotFound, $"unknown bucket '{name}'; create it with `dynamo bucket create {name}`");
        }
        return (bucket, new DynamoKey(bucket.Name, key!));
    }

    private DynamoException Invalid(string message)
    {
        counters.Add(CounterNames.InvalidRequests);
        return DynamoException.Invalid(message);
    }

    private static int Quorum(int requested, int bucketDefault) => requested == 0 ? bucketDefault : requested;

    private int CheckQuorum(string name, int requested, int bucketDefault, int n, bool allowZero = false)
    {
        int q = Quorum(requested, bucketDefault);
        if (q < (allowZero ? 0 : 1) || q > n) throw Invalid($"{name} must be between {(allowZero ? 0 : 1)} and N={n}, got {q}");
        return q;
    }

    private readonly ReplicaPlanCache _plans = new();

    private ReplicaPlan Plan(ClusterState state, DynamoKey key, int n)
    {
        var ring = state.Ring ?? throw DynamoException.Unavailable("no silo is up in the ring yet; the cluster is still forming");
        return _plans.PlanFor(ring, key, n, detector);
    }

    /// <summary>
    /// Sends a request this silo should not coordinate to the key's replicas, first reachable first. It goes on to the
    /// next replica only when the call never reached the one before (<see cref="DynamoException.Undelivered"/>): a
    /// coordinator that answered Unavailable (its write quorum missed) may have written some replicas, and a put
    /// coordinated again elsewhere would store the same value a second time under another dot, a sibling the caller
    /// never sees and so cannot delete. The same rule keeps an operation that is not idempotent (a counter increment) from
    /// being applied twice: it moves on only from a replica that never ran it.
    /// </summary>
    private async Task<T> ForwardAsync<T>(ReplicaPlan plan, ISiloRequest<T> request, CancellationToken ct)
    {
        counters.Add(CounterNames.Forwarded);
        DynamoException? last = null;
        // In turn, the silos still joining last (InTurn): most forwards come right after a ring change, from clients still
        // routing by the ring before it, and the new silo heads many of the changed lists; forwarded there first, its
        // cold coordinator took 80–130 ms a request one second into a join.
        foreach (var target in InTurn(plan.Targets, CurrentMotion().Joining))
        {
            try
            {
                var result = await transport.SendAsync(target.Silo, request, settings.RequestTimeout + settings.ReplicaTimeout, ct);
                detector.ReportSuccess(target.Silo);
                return result;
            }
            catch (DynamoException e) when (e.Kind == DynamoErrorKind.Unavailable)
            {
                if (!e.Undelivered) throw; // it reached the coordinator, which may have applied it: the caller gets the failure
                detector.ReportFailure(target.Silo);
                last = e;
            }
        }
        throw DynamoException.Unavailable($"no replica of partition {plan.Partition} could coordinate: {last?.Message}", last);
    }

    internal static string Describe(Exception e) => e switch
    {
        DynamoException d => d.Message,
        OperationCanceledException => "timed out",
        _ => e.GetType().Name + ": " + e.Message,
    };

    internal static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Where hints go (the hinted-handoff feature bounds the backlog); null: straight to the hint log.</summary>
    public Hints.IHintSink? HintSink { get; set; }

    /// <summary>Consulted after every read of this silo's own replica (ownership transfer reads through to old owners); null: the store alone.</summary>
    public Transfer.IReadThrough? ReadThrough { get; set; }

    /// <summary>
    /// What the ownership transfer says of partitions in motion (<see cref="PartitionMotion"/>), asked at most every 100 ms
    /// by the gets that ask R replicas. Null: nothing ever moves.
    /// </summary>
    public Func<PartitionMotion>? Motion { get; set; }

    private static readonly TimeSpan MotionRecheck = TimeSpan.FromMilliseconds(100);
    private long _motionCheckedAt;
    private volatile PartitionMotion _motion = PartitionMotion.None;

    /// <summary><see cref="Motion"/>'s last answer, renewed once it is 100 ms old: it changes only with a ring change and its transfers.</summary>
    private PartitionMotion CurrentMotion()
    {
        if (Motion is not { } motion) return PartitionMotion.None;
        long now = time.GetTimestamp();
        if (time.GetElapsedTime(Volatile.Read(ref _motionCheckedAt), now) >= MotionRecheck)
        {
            _motion = motion();
            Volatile.Write(ref _motionCheckedAt, now);
        }
        return _motion;
    }

    private async Task<SiblingSet?> ReadLocalAsync(int partition, DynamoKey key, CancellationToken ct)
    {
        var local = await grains.Get(partition).ReadAsync(key, ct);
        return ReadThrough is { } through ? await through.ReadThroughAsync(partition, key, local, ct) : local;
    }

    private async Task StoreHintAsync(string target, int partition, DynamoKey key, SiblingSet set, CancellationToken ct)
    {
        if (HintSink is { } sink)
        {
            await sink.StoreAsync(new Hint(target, partition, key, set, NowMs), ct);
            return;
        }
        await store.Hints.AppendAsync(new Hint(target, partition, key, set, NowMs), ct);
        counters.Add(CounterNames.HintsStored);
        counters.Add(CounterNames.HintsStored + ":" + target);
    }
}
