using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>
/// Anti-entropy (Dynamo §4.7, riak_kv AAE): every partition replica this silo holds keeps a Merkle
/// tree current as writes land (an <see cref="IPartitionChangeObserver"/>); a persisted reminder per
/// tree starts an exchange with one other replica of its preference list (round-robin): the two
/// compare roots and descend only into differing subtrees, list the keys of the differing leaf
/// segments, and exchange the sibling sets of the differing keys, each side merging with the
/// versioning rules. Tombstones every replica holds are removed after a grace period. A graceful stop saves
/// the built trees and the next start restores them (<see cref="TreeSnapshot"/>); otherwise (a crash, or a
/// tree older than TreeMaxAgeMs) a tree is built lazily, at its first exchange, by a paced, rate-limited
/// scan under admission control (see <see cref="ReplicaTree"/> for why writes during a build are not lost).
/// </summary>
public sealed partial class AntiEntropyService : ISiloFeature, IPartitionChangeObserver, IPartitionExchangeReporter
{
    private readonly ConcurrentDictionary<TreeId, ReplicaTree> _trees = new();
    private readonly ConcurrentDictionary<TreeId, TreeActivity> _activity = new();
    private readonly ConcurrentDictionary<int, DateTimeOffset> _lastCompletedExchange = new();
    private SiloRuntime _silo = null!;
    private AntiEntropyOptions _options = null!;
    private MerkleShape _shape = null!;
    private ILogger _log = null!;
    private SemaphoreSlim _exchangeSlots = null!;
    private CancellationToken _stopping = CancellationToken.None;
    private HeldTreesCache? _held;

    /// <summary>The trees held under one membership snapshot, swapped in whole.</summary>
    private sealed record HeldTreesCache(ClusterState State, IReadOnlySet<TreeId> Held);

    private string Self => _silo.Name;

    /// <summary>Ownership transfer, when installed: partitions it is moving are left to it.</summary>
    private Transfer.OwnershipTransferFeature? Transfer => _silo.Feature<Transfer.OwnershipTransferFeature>();

    private long NowMs => _silo.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private TimeSpan CallTimeout => TimeSpan.FromMilliseconds(_options.CallTimeoutMs);

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _options = silo.Options.AntiEntropy;
        _shape = _options.Shape;
        _log = silo.Loggers.CreateLogger("OrleansDynamo.AntiEntropy");
        _exchangeSlots = new SemaphoreSlim(_options.MaxConcurrentExchanges, _options.MaxConcurrentExchanges);
        silo.Dispatcher.Register<MerkleHashesQuery, MerkleHashesAnswer>(HandleMerkleHashesAsync);
        silo.Dispatcher.Register<SegmentKeysQuery, SegmentKeysAnswer>(HandleSegmentKeysAsync);
        silo.Dispatcher.Register<RepairKeys, RepairKeysResult>(HandleRepairKeysAsync);
        silo.Dispatcher.Register<TombstoneGc, TombstoneGcResult>(HandleTombstoneGcAsync);
        if (!_options.Enabled) return;
        silo.Replicas.AddObserver(this);
        silo.AddLoop("anti-entropy", TimeSpan.FromMilliseconds(_options.TickIntervalMs), TickAsync);
    }

    /// <summary>Keeps the tree of the key's partition current; called inside the key's turn.</summary>
    public void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after)
    {
        if (_trees.IsEmpty) return;
        if (NOf(key.Bucket) is not int n)
        {
            // Its tree is unknown until this silo learns the bucket: rebuild the partition's trees later.
            DropTrees(id => id.Partition == partition, $"a write to bucket '{key.Bucket}', unknown here yet");
            return;
        }
        if (_trees.TryGetValue(new TreeId(partition, n), out var tree)) tree.Apply(key.Hash, after);
    }

    /// <summary>When this silo last finished an exchange (in sync or repaired) of any tree of <paramref name="partition"/>; null if never.</summary>
    public DateTimeOffset? LastExchange(int partition) =>
        _lastCompletedExchange.TryGetValue(partition, out var at) ? at : null;

    /// <summary>Totals and every tree, for `dynamo status` and the dashboard.</summary>
    public AntiEntropyStatus Status()
    {
        var schedule = Volatile.Read(ref _schedule);
        var ids = _trees.Keys.Concat(_activity.Keys).Concat(schedule.Trees.Keys).Distinct().Order().ToList();
        var trees = new List<TreeStatus>(ids.Count);
        int building = 0, ready = 0;
        foreach (var id in ids)
        {
            string state = "not built";
            long keys = 0, tombstones = 0;
            if (_trees.TryGetValue(id, out var tree))
            {
                if (tree.IsReady) { state = "ready"; ready++; }
                else if (tree.Build is not null) { state = "building"; building++; }
                keys = tree.IsReady ? tree.KeyCount : Interlocked.Read(ref tree.KeysScanned);
                tombstones = tree.TombstoneCount;
            }
            var a = _activity.GetValueOrDefault(id);
            DateTimeOffset? next = schedule.Trees.TryGetValue(id, out var r) ? DateTimeOffset.FromUnixTimeMilliseconds(r.NextDueMs) : null;
            trees.Add(a is null
                ? new TreeStatus(id, state, keys, tombstones, null, null, null, 0, 0, 0, next)
                : new TreeStatus(id, state, keys, tombstones, a.LastExchange, a.LastPeer, a.LastOutcome, a.Exchanges, a.KeysRepaired, a.Bytes, next));
        }
        var c = _silo.Counters;
        return new AntiEntropyStatus(c.Get(AntiEntropyCounters.Exchanges), c.Get(AntiEntropyCounters.KeysRepaired), c.Get(AntiEntropyCounters.Bytes),
            c.Get(AntiEntropyCounters.TombstonesRemoved), building, ready, trees);
    }

    /// <summary>The root hash and key count of a built tree, or null while it is not built (diagnostics, tests).</summary>
    public (ulong Root, long Keys)? TreeRoot(TreeId id)
    {
        if (!_trees.TryGetValue(id, out var tree) || !tree.IsReady) return null;
        var snapshot = tree.Snapshot();
        return (snapshot.Root, snapshot.KeyCount);
    }

    /// <summary>The trees this silo holds: (partition, n) for every bucket N where it is among the first n of the preference list.</summary>
    internal IReadOnlySet<TreeId> HeldTrees()
    {
        var state = _silo.Membership.State;
        var cached = Volatile.Read(ref _held);
        if (cached is not null && ReferenceEquals(cached.State, state)) return cached.Held;
        var held = new HashSet<TreeId>();
        if (state.Ring is { } ring)
        {
            foreach (int n in state.Buckets.Values.Select(b => b.N).Distinct())
            {
                foreach (int p in ring.PartitionsOf(Self, n)) held.Add(new TreeId(p, n));
            }
        }
        Volatile.Write(ref _held, new HeldTreesCache(state, held));
        return held;
    }

    private bool Holds(TreeId id) => HeldTrees().Contains(id);

    /// <summary>Whether this silo is a new owner of <paramref name="partition"/> still receiving it: its tree is built once it has it.</summary>
    private bool Receiving(int partition) => Transfer?.InTransit(partition, Self) == true;

    private const string StillReceiving = "the partition's inbound transfer is not complete";

    private int? NOf(string bucket) => _silo.Membership.State.Buckets.TryGetValue(bucket, out var b) ? b.N : null;

    private ConflictPolicy PolicyOf(string bucket) =>
        _silo.Membership.State.Buckets.TryGetValue(bucket, out var b) ? b.Policy : ConflictPolicy.Siblings;

    /// <summary>
    /// The tree, with its build started if it never was; a ready tree older than <see cref="AntiEntropyOptions.TreeMaxAgeMs"/>
    /// is replaced by a new build.
    /// </summary>
    private ReplicaTree StartTree(TreeId id)
    {
        var tree = _trees.GetOrAdd(id, i => new ReplicaTree(i, _shape));
        if (tree.IsReady && NowMs - tree.BuiltAtMs > _options.TreeMaxAgeMs)
        {
            var fresh = new ReplicaTree(id, _shape);
            if (_trees.TryUpdate(id, fresh, tree))
            {
                tree.Dropped = true;
                _log.LogDebug("The Merkle tree {Tree} was built {Age} ago: building it again", id, TimeSpan.FromMilliseconds(NowMs - tree.BuiltAtMs));
            }
            tree = _trees.GetOrAdd(id, fresh);
        }
        lock (tree.BuildLock) tree.Build ??= BuildAsync(tree);
        return tree;
    }

    private void DropTrees(Func<TreeId, bool> which, string why)
    {
        foreach (var (id, tree) in _trees)
        {
            if (!which(id) || !_trees.TryRemove(new KeyValuePair<TreeId, ReplicaTree>(id, tree))) continue;
            tree.Dropped = true;
            _log.LogDebug("Dropped the Merkle tree {Tree}: {Why}", id, why);
        }
    }

    /// <summary>
    /// The stored entry whose key hash is <paramref name="hash"/>, found with a one-key scan; null when absent or when
    /// its value does not decode (then quarantined).
    /// </summary>
    private async Task<StoredEntry?> FindAsync(int partition, KeyHash hash, CancellationToken ct)
    {
        var page = await _silo.Store.ScanAsync(partition, new ScanCursor(hash, "", ""), 1, ct);
        if (page.Undecodable.Count > 0) await _silo.Replicas.QuarantineAsync(page.Undecodable, ct);
        return page.Entries.Count == 1 && page.Entries[0].Hash == hash ? page.Entries[0] : null;
    }

    private IPartitionReplica Grain(int partition) => _silo.Replicas.Get(partition);
}
