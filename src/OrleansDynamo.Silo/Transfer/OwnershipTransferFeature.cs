using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// A partition this silo handed to its new owners: dropped afterwards (<paramref name="Dropped"/>), or
/// streamed by an owner that stays one (a cluster growing towards N replicas, or an old owner standing
/// in for one that fell out but is unavailable).
/// </summary>
public sealed record CompletedTransfer(int Partition, string FromSilo, IReadOnlyList<string> ToSilos, long KeysSent, long MembershipVersion, bool Dropped = true);

/// <summary>
/// Ownership transfer (Dynamo §4.9, riak_core handoff). After a ring change each partition goes only
/// to the silos NEW among its first N (N: the largest over buckets), from one old replica
/// (<see cref="TransferPlanner"/>), page by page: resumable cursor in the metadata store, rate-limited,
/// one admission slot per page; each receiver merges the keys into its replica. The last page of a
/// complete pass tells the receiver its inbound transfer is complete; until then it reads through to
/// the old owners (<see cref="IReadThrough"/>) and `dynamo status` shows it joining. A silo that holds
/// keys of a partition it no longer owns keeps serving them; before it streams them, and again before it drops them,
/// it asks the other members for their membership (a silo that learned of a newer ring change first may be writing
/// to it as an owner again). Only when every target acknowledged a
/// full pass that began with writes being captured, the plan is unchanged and no hint for another
/// silo waits on the partition, it is dropped; writes that landed during that last pass or the drop
/// are then sent on (or merged back here if that fails). A leaving silo records <c>Left</c> once it
/// holds nothing. Sender: OwnershipTransferFeature.Send.cs; receiver and read-through: .Receive.cs.
/// </summary>
public sealed partial class OwnershipTransferFeature : ISiloFeature, ITransferReporter, IPartitionChangeObserver
{
    private readonly ConcurrentDictionary<int, LateWrites> _capturing = new();
    private readonly ConcurrentDictionary<(int Partition, string To), TransferProgress> _progress = new();
    private readonly ConcurrentQueue<CompletedTransfer> _completed = new();
    private readonly ConcurrentDictionary<int, long> _inbound = new();
    private readonly SemaphoreSlim _pass = new(1, 1);
    private SiloRuntime _silo = null!;
    private TransferOptions _options = new();
    private TransferCursorStore _cursors = null!;
    private TransferLedger _ledger = null!;
    private ILogger _log = null!;
    private long _nextSendAt;
    private long _resumes;
    private long _readThroughs;
    private long _readThroughsServed;
    private long _keysReceived;
    private long _passes;
    private CancellationToken _stopping;
    private int _kickRequested;
    private ConcurrentDictionary<int, IReadOnlyList<string>> _outbound = new();
    private readonly ConcurrentDictionary<int, long> _plannedKeys = new();
    private TransferRate _rate = null!;
    private ulong _reportRing;
    private long _keysSentInChange;
    /// <summary>The last ring change worked out, with the history it came from; read without a lock on every get (replaced whole).</summary>
    private sealed record TransitionOf(MembershipHistory History, RingTransition? Transition);

    private volatile TransitionOf? _transition;
    private static readonly TimeSpan ReceivingRefresh = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, (ulong Ring, bool Receiving, bool Final, long AskedAt)> _receiving = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _receivingAsks = new(StringComparer.Ordinal);

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _options = silo.Options.Transfer;
        _cursors = new TransferCursorStore(silo.Store.Metadata);
        _ledger = new TransferLedger(silo.Store.Metadata);
        _log = silo.Loggers.CreateLogger("OrleansDynamo.Transfer");
        _rate = new TransferRate(silo.Time);
        silo.Dispatcher.Register<TransferBatch, TransferBatchResult>(HandleBatchAsync);
        silo.Dispatcher.Register<TransferRead, TransferReadResult>(HandleReadAsync);
        silo.Dispatcher.Register<TransferComplete, TransferBatchResult>(HandleCompleteAsync);
        silo.Dispatcher.Register<TransferReportRequest, SiloTransfers>((_, ct) => ReportAsync(ct));
        silo.Replicas.AddObserver(this);
        silo.TransferReporters.Add(this);
        if (_options.ReadThrough) silo.Coordinator.ReadThrough = this;
        silo.Coordinator.Motion = Motion;
        silo.Membership.Changed += _ =>
        {
            StartCounting();
            Kick();
        };
        silo.AddLoop("ownership-transfer", TimeSpan.FromMilliseconds(_options.IntervalMs), RunPassAsync);
    }

    /// <summary>Partitions this silo handed to new owners (dropped or kept), oldest first.</summary>
    public IReadOnlyList<CompletedTransfer> Completed => _completed.ToArray();

    /// <summary>Outbound transfers in progress.</summary>
    public IReadOnlyList<TransferProgress> Transfers() => _progress.Values.OrderBy(t => t.Partition).ThenBy(t => t.ToSilo, StringComparer.Ordinal).ToList();

    /// <summary>
    /// This silo's part in the ring change under way: what it has left to send (keys estimated from each planned
    /// partition's key count less what each target got), its rate, and the partitions it waits to receive.
    /// </summary>
    public async Task<SiloTransfers> ReportAsync(CancellationToken ct)
    {
        await _ledger.EnsureLoadedAsync(ct);
        var outbound = Volatile.Read(ref _outbound);
        long left = 0;
        foreach (var (partition, targets) in outbound)
        {
            long total = _plannedKeys.GetValueOrDefault(partition);
            foreach (var target in targets)
                left += Math.Max(0, total - (_progress.TryGetValue((partition, target), out var p) ? p.KeysSent : 0));
        }
        var started = Transfers().Select(t => t with { KeysTotal = _plannedKeys.GetValueOrDefault(t.Partition) }).ToList();
        return new SiloTransfers(_silo.Name, started, outbound.Count, Interlocked.Read(ref _keysSentInChange), left, Math.Round(_rate.PerSecond(), 1),
            Inbound().Sources.Count, _silo.Admission.Pace, Membership: _silo.Membership.History.Digest.ToString());
    }

    /// <summary>
    /// Every silo's part in the ring change under way: this silo's own report and those of every other active member
    /// it can reach (asked at once, 2 s each); one that does not answer is listed with <see cref="SiloTransfers.Answered"/> false.
    /// </summary>
    public async Task<IReadOnlyList<SiloTransfers>> ClusterReportAsync(CancellationToken ct)
    {
        var own = await ReportAsync(ct);
        var others = _silo.Membership.State.Members.Values
            .Where(m => m.Name != _silo.Name && m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Left)
            .Select(async m =>
            {
                // A silo that has left counts only while it still answers (what it sent in its leave); it owes nothing.
                bool left = m.Status == MemberStatus.Left;
                if (!_silo.Detector.IsReachable(m.Name)) return left ? null : Unanswered(m.Name);
                try
                {
                    return await _silo.Transport.SendAsync(m.Name, new TransferReportRequest(), TimeSpan.FromSeconds(2), ct);
                }
                catch (DynamoException)
                {
                    return left ? null : Unanswered(m.Name);
                }
            });
        return [own, .. (await Task.WhenAll(others)).OfType<SiloTransfers>().OrderBy(r => r.Silo, StringComparer.Ordinal)];
    }

    /// <summary>The keys sent count anew from a ring change on (called on every membership change and at each pass).</summary>
    private void StartCounting()
    {
        if (Transition() is { } t && Interlocked.Exchange(ref _reportRing, t.Id) != t.Id) Interlocked.Exchange(ref _keysSentInChange, 0);
    }

    private static SiloTransfers Unanswered(string silo) => new(silo, [], 0, 0, 0, 0, 0, 1, Answered: false);

    /// <summary>True while an outbound transfer is in progress or a dropped partition's late writes are not all sent.</summary>
    public bool Busy => !_progress.IsEmpty || !_capturing.IsEmpty || !Volatile.Read(ref _outbound).IsEmpty;

    /// <summary>Outbound transfers that continued from a cursor saved before a restart (or an interrupted pass).</summary>
    public long Resumes => Interlocked.Read(ref _resumes);

    /// <summary>Reads of this silo's replica that also asked the old owners because the partition's inbound transfer was not complete.</summary>
    public long ReadThroughs => Interlocked.Read(ref _readThroughs);

    /// <summary>Read-through requests this silo answered as an old owner.</summary>
    public long ReadThroughsServed => Interlocked.Read(ref _readThroughsServed);

    /// <summary>
    /// True while <paramref name="partition"/> is on its way between this silo and <paramref name="peer"/> (or to this
    /// silo from anyone): this silo's inbound transfer of it is not complete, or it streams it to the peer. Anti-entropy
    /// leaves such a partition to the transfer rather than send its keys a second time. An inbound transfer counts only
    /// while one of its old owners is reachable: with all of them down it cannot progress, and anti-entropy with the
    /// other replicas goes on.
    /// </summary>
    public bool InTransit(int partition, string peer) =>
        (Inbound().Sources.TryGetValue(partition, out var sources) && sources.Any(_silo.Detector.IsReachable))
        || (Volatile.Read(ref _outbound).TryGetValue(partition, out var targets) && targets.Contains(peer, StringComparer.Ordinal));

    /// <summary>Transfer passes this silo finished (each plans every partition against the current membership).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Keys this silo merged from transfer pages it received.</summary>
    public long KeysReceived => Interlocked.Read(ref _keysReceived);

    /// <summary>Partitions that received a transfer page within the last <paramref name="window"/>.</summary>
    public IReadOnlyList<int> InboundWithin(TimeSpan window) =>
        _inbound.Where(kv => _silo.Time.GetElapsedTime(kv.Value) <= window).Select(kv => kv.Key).Order().ToList();

    /// <summary>
    /// True for a silo that joined in the last ring change and is still receiving partitions, as this
    /// silo sees it: for itself, while an inbound transfer is not complete; for another, while this silo
    /// has partitions to stream to it.
    /// </summary>
    public bool IsJoining(string silo)
    {
        var state = _silo.Membership.State;
        if (state.Member(silo)?.Status != MemberStatus.Up) return false;
        if (Transition() is not { } t || !t.IsNewMember(silo)) return false;
        if (silo == _silo.Name) return Inbound().Sources.Count > 0;
        if (Volatile.Read(ref _outbound).Values.Any(targets => targets.Contains(silo))) return true;
        // This silo sends it nothing (any more), but other old owners may still be: only the new silo knows when it has
        // received everything, so its own last answer decides (clients ramp it up as a coordinator once it is done).
        return StillReceiving(silo, t.Id);
    }

    /// <summary>
    /// Partitions in motion for the coordinator: whether this silo receives any, and the silos still joining. A silo that
    /// only sends (an old owner during a join) reads as usual: asking every replica there raised the cost of every get on
    /// every old silo for the whole join, and once transfers were paced to the foreground that was most of its cost.
    /// </summary>
    private Coordination.PartitionMotion Motion()
    {
        bool moving = Inbound().Sources.Count > 0;
        var joining = _silo.Membership.State.Members.Keys.Where(IsJoining).ToHashSet(StringComparer.Ordinal);
        return !moving && joining.Count == 0 ? Coordination.PartitionMotion.None : new Coordination.PartitionMotion(moving, joining);
    }

    /// <summary>
    /// What <paramref name="silo"/>, new in ring change <paramref name="ring"/>, last said about its inbound transfers: asked
    /// at most once a second (in the background; the last answer stands meanwhile, and "receiving" until the first). An
    /// answer of done from a silo on the same membership is final for that ring change.
    /// </summary>
    private bool StillReceiving(string silo, ulong ring)
    {
        long now = _silo.Time.GetTimestamp();
        bool current = _receiving.TryGetValue(silo, out var known) && known.Ring == ring;
        if (current && (known.Final || _silo.Time.GetElapsedTime(known.AskedAt, now) < ReceivingRefresh)) return known.Receiving;
        if (_receivingAsks.TryAdd(silo, 0)) _ = AskReceivingAsync(silo, ring, now);
        return current ? known.Receiving : true;
    }

    private async Task AskReceivingAsync(string silo, ulong ring, long askedAt)
    {
        try
        {
            var report = await _silo.Transport.SendAsync(silo, new TransferReportRequest(), TimeSpan.FromSeconds(2), _stopping);
            bool receiving = report.PartitionsToReceive > 0;
            bool final = !receiving && report.Membership == _silo.Membership.History.Digest.ToString();
            _receiving[silo] = (ring, receiving, final, askedAt);
        }
        catch (Exception e)
        {
            // Unanswered: the last answer stands and the next status asks again (an unreachable silo is not shown joining).
            _log.LogDebug("{Silo} did not say whether it is still receiving: {Reason}", silo, Coordination.RequestCoordinator.Describe(e));
        }
        finally
        {
            _receivingAsks.TryRemove(silo, out _);
        }
    }

    public void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after)
    {
        if (after is not null && _capturing.TryGetValue(partition, out var late)) late.Add(key, after);
    }

    private static int ReplicaCount(ClusterState state) => state.Buckets.Values.Select(b => b.N).DefaultIfEmpty(BucketSettings.MaxN).Max();

    private static ConflictPolicy PolicyOf(ClusterState state, string bucket) =>
        state.Buckets.TryGetValue(bucket, out var b) ? b.Policy : ConflictPolicy.Siblings;

    /// <summary>The last ring change of the current membership (cached per history).</summary>
    private RingTransition? Transition()
    {
        var history = _silo.Membership.History;
        if (_transition is { } cached && ReferenceEquals(cached.History, history)) return cached.Transition;
        // Two threads may both work it out for a new history; they agree, and either result stands.
        var transition = RingTransition.Of(history, ReplicaCount(history.State));
        _transition = new TransitionOf(history, transition);
        return transition;
    }

    /// <summary>Another silo is up in the membership, not gone, and reachable in this silo's view.</summary>
    private bool Available(ClusterState state, string silo) =>
        silo == _silo.Name || (state.Member(silo)?.Status is MemberStatus.Up or MemberStatus.Leaving && _silo.Detector.IsReachable(silo));

    private static string Describe(Exception e) => e is DynamoException d ? d.Message : e.GetType().Name + ": " + e.Message;
}
