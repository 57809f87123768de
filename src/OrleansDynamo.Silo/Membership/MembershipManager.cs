using OrleansDynamo.Silo.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Membership;

/// <summary>Settings of membership and gossip.</summary>
public sealed record MembershipSettings(
    string ClusterName,
    string? ClusterSecret,
    MemberInfo Self,
    int PartitionCount,
    BucketSettings DefaultBucket,
    Func<IReadOnlyList<string>> Seeds,
    bool AutoJoin,
    TimeSpan GossipInterval,
    TimeSpan CallTimeout);

/// <summary>
/// This silo's copy of the membership history: loaded from and saved to the metadata store, spread
/// by push-pull gossip with one random peer per round (and the seeds, so two silos started apart
/// do not stay in separate clusters). The current <see cref="ClusterState"/> is an immutable snapshot
/// swapped in atomically.
/// </summary>
public sealed class MembershipManager
{
    internal const string MetadataKey = "membership";

    private readonly MembershipSettings _settings;
    private readonly IMetadataStore _metadata;
    private readonly ISiloTransport _transport;
    private readonly IFailureDetector _detector;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly string _secretProof;
    private readonly Queue<string> _gossipOrder = new();
    private readonly HashSet<string> _probing = new(StringComparer.Ordinal);
    private int _probeIndex;
    private MembershipHistory _history;
    private bool _loadedFromDisk;
    private string? _lastRefusal;
    private long _refusals;

    private readonly SiloCounters _counters;

    public MembershipManager(MembershipSettings settings, IMetadataStore metadata, ISiloTransport transport, IFailureDetector detector, Random random,
        SiloCounters counters, ILogger log)
    {
        _counters = counters;
        _settings = settings;
        _metadata = metadata;
        _transport = transport;
        _detector = detector;
        _random = random;
        _log = log;
        _secretProof = Proof(settings.ClusterSecret);
        _history = new MembershipHistory(settings.ClusterName, settings.PartitionCount, settings.DefaultBucket);
    }

    public string SiloName => _settings.Self.Name;

    /// <summary>
    /// Silos (names or addresses) to gossip with besides the members the history names: on a real silo the other
    /// active silos of Orleans cluster membership, so a fresh silo meets the ring without configured seeds.
    /// </summary>
    public IReadOnlyList<string> Seeds() => _settings.Seeds().Where(s => s != SiloName).ToList();

    public MembershipHistory History => Volatile.Read(ref _history);

    public ClusterState State => History.State;

    /// <summary>Raised after the history grew (on the thread that merged it).</summary>
    public event Action<ClusterState>? Changed;

    public long GossipRounds { get; private set; }

    /// <summary>The gossip round (count since start) during which this silo's history last grew; 0: before the first round.</summary>
    public long LastChangeRound { get; private set; }

    /// <summary>Gossip exchanges refused for another cluster name or secret, on either side.</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Why the last refused exchange was refused, or null.</summary>
    public string? LastRefusal => Volatile.Read(ref _lastRefusal);

    /// <summary>Loads the persisted history, then records this silo's join or new addresses (<see cref="RecordSelfAsync"/>).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        await RecordSelfAsync(cancellationToken);
    }

    /// <summary>
    /// Loads and checks the persisted history; records nothing. A silo process loads before it listens anywhere and
    /// calls <see cref="RecordSelfAsync"/> only once every port is bound, so a silo that cannot start is not joined.
    /// </summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var stored = await _metadata.GetAsync(MetadataKey, cancellationToken);
        if (stored is null) return;
        var loaded = Decode(stored, "this silo's data directory");
        if (loaded.ClusterName != _settings.ClusterName)
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                $"the data directory belongs to cluster '{loaded.ClusterName}', but this silo is configured for cluster '{_settings.ClusterName}'");
        if (loaded.PartitionCount != _settings.PartitionCount)
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                $"the data directory holds a ring of {loaded.PartitionCount} partitions, but Silo:PartitionCount is {_settings.PartitionCount}");
        Publish(loaded);
        _loadedFromDisk = true;
        _log.LogInformation("Loaded membership: {Count} events, {Members} members", loaded.Events.Count, loaded.State.Members.Count);
    }

    /// <summary>
    /// After <see cref="LoadAsync"/>: a fresh silo joins itself when <see cref="MembershipSettings.AutoJoin"/>, and a
    /// member restarted with other addresses (gRPC, HTTP or gateway) records them, so clients find it where it is now.
    /// A silo whose stored history does not name it yet (it stopped after it had learned the history from a seed but
    /// before its join was recorded) joins like a fresh one: otherwise it would run outside the cluster for good.
    /// </summary>
    public async Task RecordSelfAsync(CancellationToken cancellationToken)
    {
        var me = State.Member(SiloName);
        if (!_loadedFromDisk || me is null)
        {
            if (!_settings.AutoJoin) return;
            await LearnFromSeedsAsync(cancellationToken);
            await JoinSelfAsync(cancellationToken);
            return;
        }
        if (me.Status == MemberStatus.Up && (me.Info.Address != _settings.Self.Address
            || me.Info.HttpAddress != _settings.Self.HttpAddress || me.Info.GatewayAddress != _settings.Self.GatewayAddress))
            await RecordNewAsync(lamport => MembershipEvent.Join(lamport, SiloName, _settings.Self), cancellationToken);
    }

    /// <summary>
    /// Before a fresh silo records its join: one gossip round with every seed, so the join is stamped after the
    /// history the cluster already has. Ownership transfer treats the last ring change in Lamport order as the one to
    /// carry out; a join stamped 1 by a silo that had heard nothing would sort before ring changes the cluster made
    /// long ago, and the newcomer would receive none of its partitions. Seeds that do not answer (the first silos of a
    /// cluster starting together) are not waited for beyond one call timeout.
    /// </summary>
    private async Task LearnFromSeedsAsync(CancellationToken cancellationToken)
    {
        var seeds = Seeds();
        if (seeds.Count == 0) return;
        var answered = await MeetSeedsAsync(cancellationToken);
        if (!answered.Any(a => a) && History.Events.Count == 0)
            _log.LogWarning("Silo {Silo} records its join without having heard from a seed ({Seeds}); if the cluster already holds data, run `dynamo repair` once it has joined",
                SiloName, string.Join(", ", seeds));
    }

    /// <summary>
    /// One gossip call to every seed (the configured ones and the members Orleans lists), all at once; whether each answered.
    /// </summary>
    public Task<bool[]> MeetSeedsAsync(CancellationToken cancellationToken) => Task.WhenAll(Seeds().Select(seed => GossipWithAsync(seed, cancellationToken)));

    /// <summary>Records this silo's join (the operator's `dynamo join`, or auto-join at first start).</summary>
    public Task<bool> JoinSelfAsync(CancellationToken cancellationToken) =>
        RecordNewAsync(lamport => MembershipEvent.Join(lamport, SiloName, _settings.Self), cancellationToken);

    public Task<bool> LeaveAsync(string silo, CancellationToken cancellationToken)
    {
        var member = State.Member(silo) ?? throw new DynamoException(DynamoErrorKind.NotFound, $"no silo named '{silo}' in cluster '{_settings.ClusterName}'");
        if (member.Status != MemberStatus.Up) throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"silo '{silo}' is {member.Status.ToString().ToLowerInvariant()} already");
        if (State.Members.Values.Count(m => m.Status == MemberStatus.Up) == 1)
            throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"silo '{silo}' is the last one up; the cluster would hold no data");
        return RecordNewAsync(lamport => MembershipEvent.Leave(lamport, SiloName, silo), cancellationToken);
    }

    public Task<bool> MarkLeftAsync(string silo, CancellationToken cancellationToken) =>
        RecordNewAsync(lamport => MembershipEvent.Left(lamport, SiloName, silo), cancellationToken);

    public Task<bool> DefineBucketAsync(BucketSettings bucket, CancellationToken cancellationToken) =>
        RecordNewAsync(lamport => MembershipEvent.DefineBucket(lamport, SiloName, bucket), cancellationToken);

    /// <summary>
    /// Records a new event of this silo stamped with the next Lamport time. The stamp is taken under the
    /// write lock, so two acts recorded at once get distinct ids (an equal id would make one of them vanish).
    /// </summary>
    private async Task<bool> RecordNewAsync(Func<long, MembershipEvent> make, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        MembershipHistory merged;
        try
        {
            var current = History;
            merged = current.Add(make(current.MaxLamport + 1));
            await _metadata.SetAsync(MetadataKey, MembershipCodec.Encode(merged), cancellationToken);
            Publish(merged);
        }
        finally
        {
            _writeLock.Release();
        }
        Announce();
        return true;
    }

    public async Task<bool> RecordAsync(MembershipEvent e, CancellationToken cancellationToken) =>
        await MergeAsync(History.Add(e), cancellationToken);

    /// <summary>Merges another history in; persists and raises <see cref="Changed"/> when it grew.</summary>
    public async Task<bool> MergeAsync(MembershipHistory other, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        bool grew;
        try
        {
            var current = History;
            var merged = current.Merge(other);
            grew = !ReferenceEquals(merged, current) && !merged.Events.SetEquals(current.Events); // a redefined bucket replaces its old event: same count, new content
            if (!grew) return false;
            await _metadata.SetAsync(MetadataKey, MembershipCodec.Encode(merged), cancellationToken);
            Publish(merged);
        }
        finally
        {
            _writeLock.Release();
        }
        Announce();
        PushChange(CancellationToken.None);
        return true;
    }

    /// <summary>
    /// Makes <paramref name="history"/> the current one with its meaning already worked out: requests read
    /// <see cref="State"/> on every call, and a ring change replayed under them held the thread pool while the
    /// foreground waited (every old silo stalled for 0.1–0.2 s one second into a join, found by profiling).
    /// </summary>
    private void Publish(MembershipHistory history)
    {
        _ = history.State;
        Volatile.Write(ref _history, history);
    }

    /// <summary>
    /// Rumor mongering on top of the periodic anti-entropy gossip: a silo that learned something new
    /// passes it on to one random live peer at once instead of waiting for its next round, so a change
    /// reaches every silo in O(log S) message delays rather than O(log S) rounds.
    /// </summary>
    private void PushChange(CancellationToken cancellationToken)
    {
        var peers = State.Active.Where(m => m.Name != SiloName && _detector.IsReachable(m.Name)).Select(m => m.Name).ToList();
        if (peers.Count == 0) return;
        string target = peers[_random.Next(peers.Count)];
        _ = GossipWithAsync(target, cancellationToken);
    }

    private void Announce()
    {
        LastChangeRound = GossipRounds;
        var state = State;
        _log.LogInformation("Membership changed: version {Version}, up [{Up}]", state.Version,
            string.Join(", ", state.Members.Values.Where(m => m.Status == MemberStatus.Up).Select(m => m.Name)));
        Changed?.Invoke(state);
    }

    /// <summary>
    /// One gossip round: the next live peer in a randomly shuffled round-robin order (every peer is met
    /// within one pass, so heartbeat gaps stay bounded for the failure detector), one unreachable peer
    /// probed so that a healed silo is seen up again, and a seed now and then or while alone.
    /// </summary>
    public async Task GossipRoundAsync(CancellationToken cancellationToken)
    {
        GossipRounds++;
        var peers = State.Active.Where(m => m.Name != SiloName).Select(m => m.Name).ToList();
        var reachable = peers.Where(_detector.IsReachable).ToList();
        var targets = new List<string>(2);
        if (NextPeer(reachable) is { } peer) targets.Add(peer);
        else if (peers.Count > 0) targets.Add(peers[_random.Next(peers.Count)]);
        ProbeOneUnreachable(peers.Where(p => !_detector.IsReachable(p)).ToList(), cancellationToken);
        var seeds = Seeds();
        var known = State.Members.Values.SelectMany(m => new[] { m.Name, m.Info.Address }).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknownSeeds = seeds.Where(s => !known.Contains(s)).ToList();
        if (unknownSeeds.Count > 0) targets.Add(unknownSeeds[_random.Next(unknownSeeds.Count)]);
        else if (seeds.Count > 0 && (targets.Count == 0 || _random.Next(10) == 0))
            targets.Add(seeds[_random.Next(seeds.Count)]);
        await Task.WhenAll(targets.Distinct().Select(t => GossipWithAsync(t, cancellationToken)));
    }

    private string? NextPeer(List<string> reachable)
    {
        if (reachable.Count == 0) return null;
        var live = reachable.ToHashSet(StringComparer.Ordinal);
        for (int attempts = 0; attempts < 2; attempts++)
        {
            while (_gossipOrder.Count > 0)
            {
                string next = _gossipOrder.Dequeue();
                if (live.Contains(next)) return next;
            }
            var order = reachable.ToArray();
            _random.Shuffle(order);
            foreach (var p in order) _gossipOrder.Enqueue(p);
        }
        return reachable[_random.Next(reachable.Count)];
    }

    /// <summary>Gossips with one unreachable peer without waiting (a black-holed peer costs a timeout), one probe per peer at a time.</summary>
    private void ProbeOneUnreachable(List<string> unreachable, CancellationToken cancellationToken)
    {
        if (unreachable.Count == 0) return;
        unreachable.Sort(StringComparer.Ordinal);
        string target = unreachable[_probeIndex++ % unreachable.Count];
        lock (_probing)
        {
            if (!_probing.Add(target)) return;
        }
        _ = ProbeAsync(target, cancellationToken);
    }

    private async Task ProbeAsync(string target, CancellationToken cancellationToken)
    {
        try
        {
            await GossipWithAsync(target, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _log.LogDebug(e, "Probe of {Target} failed", target);
        }
        finally
        {
            lock (_probing) _probing.Remove(target);
        }
    }

    private void NoteRefusal(string why)
    {
        Interlocked.Increment(ref _refusals);
        Volatile.Write(ref _lastRefusal, why);
    }

    /// <summary>Push-pull with one silo (a name, or a seed address). Never throws for an unreachable peer.</summary>
    public async Task<bool> GossipWithAsync(string target, CancellationToken cancellationToken)
    {
        var history = History;
        var request = new GossipRequest(_settings.ClusterName, _secretProof, SiloName, _settings.Self.Address, history.Digest, MembershipCodec.Encode(history));
        try
        {
            var response = await _transport.SendAsync(target, request, _settings.CallTimeout, cancellationToken);
            _detector.ReportHeartbeat(response.Silo);
            if (response.History is not null) await MergeAsync(Decode(response.History, response.Silo), cancellationToken);
            return true;
        }
        catch (DynamoException e) when (e.Kind == DynamoErrorKind.FailedPrecondition)
        {
            NoteRefusal(e.Message);
            _log.LogError("Silo {Silo} of cluster '{Cluster}' was refused by {Target}: {Message}", SiloName, _settings.ClusterName, target, e.Message);
            return false;
        }
        catch (DynamoException e)
        {
            if (State.Member(target) is not null) _detector.ReportFailure(target);
            _log.LogDebug("Gossip with {Target} failed: {Message}", target, e.Message);
            return false;
        }
    }

    /// <summary>
    /// Catches up with the other members before this silo acts on its ring: asks every active member it can reach for
    /// its membership digest (<see cref="MembershipCheck"/>, all at once, each within the gossip call timeout) and merges
    /// the history of each that holds another. A member that does not answer is passed over (gossip reaches it later)
    /// and suspected, as a failed gossip call would make it, so the next check does not wait for it again. True when
    /// this silo's history grew.
    /// </summary>
    /// <remarks>
    /// Gossip spreads a change in a round or a few; until then a silo that learned it first already acts on it (it
    /// coordinates writes to the new owners). A silo that hands off a partition on the ring before the change would
    /// send away keys it is about to own again (they then move twice), so ownership transfer asks first.
    /// </remarks>
    public async Task<bool> CatchUpAsync(CancellationToken cancellationToken)
    {
        var before = History;
        var peers = before.State.Active.Select(m => m.Name).Where(p => p != SiloName && _detector.IsReachable(p)).ToList();
        if (peers.Count == 0) return false;
        var check = new MembershipCheck(_settings.ClusterName, _secretProof, SiloName, before.Digest);
        await Task.WhenAll(peers.Select(async peer =>
        {
            try
            {
                var response = await _transport.SendAsync(peer, check, _settings.CallTimeout, cancellationToken);
                _detector.ReportSuccess(response.Silo);
                if (response.History is not null) await MergeAsync(Decode(response.History, response.Silo), cancellationToken);
            }
            catch (DynamoException e)
            {
                if (e.Kind != DynamoErrorKind.FailedPrecondition) _detector.ReportFailure(peer);
                _log.LogDebug("Membership check with {Peer} failed: {Message}", peer, e.Message);
            }
        }));
        if (History.Digest == before.Digest) return false;
        _counters.Add(CounterNames.MembershipCaughtUp);
        _log.LogInformation("Asked before acting on its ring, silo {Silo} found a newer membership (version {Before} -> {After})",
            SiloName, before.State.Version, State.Version);
        return true;
    }

    /// <summary>The receiving side of <see cref="CatchUpAsync"/>: this silo's history when it differs; nothing is merged here.</summary>
    public Task<GossipResponse> HandleCheckAsync(MembershipCheck request, CancellationToken cancellationToken)
    {
        Admit(request.ClusterName, request.SecretProof, $"silo '{request.FromSilo}'", "a membership check");
        _detector.ReportSuccess(request.FromSilo);
        return Task.FromResult(Answer(request.Digest));
    }

    /// <summary>This silo's digest, and its history when it differs from <paramref name="theirs"/>.</summary>
    private GossipResponse Answer(HistoryDigest theirs)
    {
        var mine = History;
        return new GossipResponse(SiloName, mine.Digest, mine.Digest == theirs ? null : MembershipCodec.Encode(mine));
    }

    /// <summary>Refuses (and records) an exchange from another cluster or with the wrong secret.</summary>
    private void Admit(string clusterName, string secretProof, string who, string what)
    {
        if (clusterName == _settings.ClusterName && secretProof == _secretProof) return;
        string why = clusterName != _settings.ClusterName
            ? $"{who} belongs to cluster '{clusterName}', this silo '{SiloName}' to cluster '{_settings.ClusterName}'"
            : $"{who} presented the wrong cluster secret";
        NoteRefusal(why);
        _log.LogError("Refused {What}: {Why}", what, why);
        throw new DynamoException(DynamoErrorKind.FailedPrecondition, why);
    }

    /// <summary>The receiving side of gossip.</summary>
    public async Task<GossipResponse> HandleGossipAsync(GossipRequest request, CancellationToken cancellationToken)
    {
        Admit(request.ClusterName, request.SecretProof, $"silo '{request.FromSilo}' at {request.FromAddress}", "gossip");
        _detector.ReportHeartbeat(request.FromSilo);
        if (request.History is not null && request.Digest != History.Digest)
        {
            var theirs = Decode(request.History, request.FromSilo);
            if (theirs.PartitionCount != _settings.PartitionCount)
                throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                    $"silo '{request.FromSilo}' uses {theirs.PartitionCount} partitions, this cluster {_settings.PartitionCount}");
            await MergeAsync(theirs, cancellationToken);
        }
        return Answer(request.Digest);
    }

    /// <summary>
    /// A history from disk or a peer. Events that may not enter a history (a weight of NaN, a bad address, ...) were
    /// left out by the decoder: each is logged and counted here, and the rest is used.
    /// </summary>
    private MembershipHistory Decode(byte[] bytes, string from)
    {
        var history = MembershipCodec.Decode(bytes);
        foreach (var refused in history.Refused)
        {
            _counters.Add(CounterNames.MembershipEventsRefused);
            _log.LogWarning("Refused membership event {Event} from {From}: {Reason}", refused.Event, from, refused.Reason);
        }
        return history;
    }

    private static string Proof(string? secret) =>
        string.IsNullOrEmpty(secret) ? "" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("orleansdynamo:" + secret)));
}
