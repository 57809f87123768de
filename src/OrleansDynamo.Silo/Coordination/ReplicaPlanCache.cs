using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Ring;
using OrleansDynamo.Silo.Membership;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>
/// Each partition's preference list and all-primaries <see cref="ReplicaPlan"/> for the current ring,
/// made on first use and dropped when the ring changes (a new <see cref="RingSnapshot"/>). A request whose
/// primaries are all reachable reuses the cached plan; otherwise it gets a plan built for the moment.
/// Safe for concurrent use: entries are immutable, and two requests that fill the same slot store equal values.
/// </summary>
internal sealed class ReplicaPlanCache
{
    /// <summary>Replication factors above this are planned per request, uncached.</summary>
    private const int MaxCachedN = 16;

    private volatile Snapshot? _current;

    public ReplicaPlan PlanFor(RingSnapshot ring, DynamoKey key, int n, IFailureDetector detector)
    {
        int partition = ring.PartitionOf(key);
        if (n > MaxCachedN) return ReplicaPlan.Build(ring.PreferenceListFor(partition, n), n, detector);
        var snapshot = _current;
        if (snapshot is null || !ReferenceEquals(snapshot.Ring, ring))
        {
            var fresh = new Snapshot(ring);
            // A request still holding an older ring plans with it, uncached, rather than evict the newer one.
            if (snapshot is null || ring.Version >= snapshot.Ring.Version) _current = fresh;
            snapshot = fresh;
        }
        var entries = snapshot.ByN[n] ??= new Entry?[ring.PartitionCount];
        var entry = entries[partition];
        if (entry is null)
        {
            var list = ring.PreferenceListFor(partition, n);
            entries[partition] = entry = new Entry(list, ReplicaPlan.ForPrimaries(list));
        }
        return entry.AllPrimaries.PrimariesReachable(detector) ? entry.AllPrimaries : ReplicaPlan.Build(entry.List, n, detector);
    }

    private sealed class Snapshot(RingSnapshot ring)
    {
        public readonly RingSnapshot Ring = ring;
        public readonly Entry?[]?[] ByN = new Entry?[]?[MaxCachedN + 1];
    }

    private sealed record Entry(PreferenceList List, ReplicaPlan AllPrimaries);
}
