using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>
/// One partition replica's Merkle tree and the index behind it, in memory: key hash → the digest the
/// tree was last given (so an update can take the old entry out), and the keys whose set is all
/// tombstones with their newest timestamp (tombstone GC candidates). Kept current by every change
/// the partition grains persist.
/// <para>
/// After a restart the tree is rebuilt by a rate-limited scan of the store while writes go on. Leaves
/// are commutative sums, so changes are applied at once even while building; a key changed during
/// the build is remembered (<c>_touched</c>) and the scan skips it, because the change saw a newer set
/// than the scan may have read. The tree is answered from (and exchanged) only once the scan is done.
/// </para>
/// Thread-safe: every method takes the tree's lock, briefly.
/// </summary>
internal sealed class ReplicaTree(TreeId id, MerkleShape shape)
{
    private readonly object _lock = new();
    private readonly MerkleTree _tree = new(shape);
    private readonly KeyDigestMap _digests = new();
    private readonly Dictionary<KeyHash, long> _tombstones = new();
    private HashSet<KeyHash>? _touched = new();
    private volatile bool _ready;

    public TreeId Id { get; } = id;

    public MerkleShape Shape { get; } = shape;

    public bool IsReady => _ready;

    /// <summary>Set when the tree was dropped (ring change, unknown bucket): its build stops.</summary>
    public volatile bool Dropped;

    /// <summary>The running or finished build; set once under <see cref="BuildLock"/>.</summary>
    public Task? Build;

    public object BuildLock { get; } = new();

    /// <summary>One exchange of this tree at a time (scheduled or `dynamo repair`).</summary>
    public SemaphoreSlim ExchangeGate { get; } = new(1, 1);

    public long KeysScanned;

    private string? _leaseHolder;
    private long _leaseUntilMs;

    /// <summary>
    /// Takes or extends the tree's exchange lease for <paramref name="holder"/> (this silo while it runs an
    /// exchange, or the peer whose exchange it serves): one exchange per tree at a time, so replicas do
    /// not repair the same differences twice at once. False while another holder's lease is current.
    /// </summary>
    public bool TryLease(string holder, long nowMs, long leaseMs)
    {
        lock (_lock)
        {
            if (_leaseHolder is not null && _leaseHolder != holder && nowMs < _leaseUntilMs) return false;
            _leaseHolder = holder;
            _leaseUntilMs = nowMs + leaseMs;
            return true;
        }
    }

    public void EndLease(string holder)
    {
        lock (_lock)
        {
            if (_leaseHolder == holder) _leaseHolder = null;
        }
    }

    public long KeyCount
    {
        get { lock (_lock) return _tree.KeyCount; }
    }

    /// <summary>A change the grain persisted: <paramref name="after"/> null means the key was removed.</summary>
    public void Apply(KeyHash key, SiblingSet? after)
    {
        ulong? digest = after is null ? null : VersionDigest.Of(after);
        lock (_lock)
        {
            Set(key, digest, after);
            _touched?.Add(key);
        }
    }

    /// <summary>A key read by the build scan; ignored when a change to it was seen meanwhile.</summary>
    public void ApplyScanned(KeyHash key, SiblingSet set)
    {
        ulong digest = VersionDigest.Of(set);
        lock (_lock)
        {
            if (_ready || _touched!.Contains(key) || _digests.ContainsKey(key)) return;
            Set(key, digest, set);
        }
    }

    /// <summary>When the tree was built from the store (Unix ms); a restored tree keeps the time of its build.</summary>
    public long BuiltAtMs { get; private set; }

    public void MarkReady(long nowMs)
    {
        lock (_lock)
        {
            _touched = null;
            _ready = true;
            BuiltAtMs = nowMs;
        }
    }

    /// <summary>Every key's digest and every all-tombstone key's newest timestamp, for a snapshot (ready trees only).</summary>
    public (List<KeyValuePair<KeyHash, ulong>> Digests, List<KeyValuePair<KeyHash, long>> Tombstones) Export()
    {
        lock (_lock) return ([.. _digests.Entries()], [.. _tombstones]);
    }

    /// <summary>
    /// Fills a new tree from a snapshot saved at a graceful stop (<see cref="TreeSnapshot"/>) and makes it ready, with the
    /// build time it had. Only before the tree is shared: nothing else may touch it meanwhile.
    /// </summary>
    public void Restore(IReadOnlyList<KeyValuePair<KeyHash, ulong>> digests, IReadOnlyList<KeyValuePair<KeyHash, long>> tombstones, long builtAtMs)
    {
        lock (_lock)
        {
            if (_ready || _digests.Count > 0) throw new InvalidOperationException($"the tree {Id} is not new");
            _digests.EnsureCapacity(digests.Count);
            foreach (var (key, digest) in digests)
            {
                _tree.Update(key, null, digest);
                _digests.Set(key, digest);
            }
            foreach (var (key, timestamp) in tombstones) _tombstones[key] = timestamp;
        }
        MarkReady(builtAtMs);
    }

    public MerkleTree Snapshot()
    {
        lock (_lock) return _tree.Clone();
    }

    /// <summary>The root (level 0) or the children of <paramref name="parents"/> at level−1.</summary>
    public ulong[] Hashes(int level, IReadOnlyList<int> parents)
    {
        lock (_lock) return level == 0 ? [_tree.Root] : _tree.Children(level - 1, parents);
    }

    /// <summary>Every key in the given segments with its digest.</summary>
    public List<(KeyHash Key, ulong Digest)> KeysIn(IReadOnlyCollection<int> segments)
    {
        var wanted = segments as ISet<int> ?? segments.ToHashSet();
        var result = new List<(KeyHash, ulong)>();
        lock (_lock)
        {
            foreach (var (key, digest) in _digests.Entries())
            {
                if (wanted.Contains(_tree.SegmentOf(key))) result.Add((key, digest));
            }
        }
        return result;
    }

    /// <summary>Up to <paramref name="max"/> keys whose set is all tombstones, the newest at least <paramref name="graceMs"/> old.</summary>
    public List<(KeyHash Key, ulong Digest)> TombstonesOlderThan(long nowMs, long graceMs, int max)
    {
        var result = new List<(KeyHash, ulong)>();
        lock (_lock)
        {
            foreach (var (key, timestamp) in _tombstones)
            {
                if (nowMs - timestamp < graceMs) continue;
                result.Add((key, _digests.TryGetValue(key, out ulong digest) ? digest : throw new InvalidOperationException($"the tombstone {key} of tree {Id} has no digest")));
                if (result.Count == max) break;
            }
        }
        return result;
    }

    public int TombstoneCount
    {
        get { lock (_lock) return _tombstones.Count; }
    }

    private void Set(KeyHash key, ulong? digest, SiblingSet? set)
    {
        ulong? old = _digests.TryGetValue(key, out ulong d) ? d : null;
        _tree.Update(key, old, digest);
        if (digest is ulong now) _digests.Set(key, now);
        else _digests.Remove(key);
        if (set is not null && set.IsDeleted) _tombstones[key] = set.Siblings.IsEmpty ? 0 : set.Siblings.Max(s => s.TimestampMs);
        else _tombstones.Remove(key);
    }
}

/// <summary>What the exchanges of one tree did, for status pages. Written by one exchange at a time.</summary>
internal sealed class TreeActivity
{
    public DateTimeOffset? LastExchange;
    public string? LastPeer;
    public string? LastOutcome;
    public long Exchanges;
    public long KeysRepaired;
    public long Bytes;
    public long TombstonesRemoved;
}
