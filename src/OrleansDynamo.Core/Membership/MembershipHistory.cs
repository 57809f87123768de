using System.Collections.Immutable;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Ring;

namespace OrleansDynamo.Core.Membership;

/// <summary>
/// The cluster's membership as a grow-only set of events (joins, leaves, bucket definitions).
/// Merging two histories is set union (then <see cref="Compact"/>: a bucket's superseded definitions
/// are left out): commutative, associative and idempotent, so gossip in any order converges. Replaying the events in their total order gives the ring: each join or leave
/// re-runs the claim from the previous owners, so partitions move only as the claim moves them.
/// </summary>
public sealed class MembershipHistory
{
    private readonly RingMemo _rings;
    private readonly Lock _replaying = new();
    private ClusterState? _state;

    public string ClusterName { get; }

    public int PartitionCount { get; }

    public BucketSettings DefaultBucket { get; }

    /// <summary>Events in total order (Lamport, then origin).</summary>
    public ImmutableSortedSet<MembershipEvent> Events { get; }

    public MembershipHistory(string clusterName, int partitionCount, BucketSettings defaultBucket, IEnumerable<MembershipEvent>? events = null)
    {
        if (string.IsNullOrWhiteSpace(clusterName)) throw new ArgumentException("cluster name must not be empty", nameof(clusterName));
        if (partitionCount < 1 || (partitionCount & (partitionCount - 1)) != 0)
            throw new ArgumentException($"partition count must be a power of two, got {partitionCount}", nameof(partitionCount));
        if (defaultBucket.Validate() is { } badBucket) throw new ArgumentException($"default bucket: {badBucket}", nameof(defaultBucket));
        ClusterName = clusterName;
        PartitionCount = partitionCount;
        DefaultBucket = defaultBucket;
        var builder = ImmutableSortedSet.CreateBuilder(EventOrder.Instance);
        List<RefusedEvent>? refused = null;
        foreach (var e in events ?? [])
        {
            if (e.Problem() is { } problem)
            {
                (refused ??= []).Add(new RefusedEvent(e, problem));
                continue;
            }
            if (builder.TryGetValue(e, out var existing) && !existing.Equals(e))
                throw new ArgumentException($"two different events share the id {e.Lamport}@{e.Origin}", nameof(events));
            builder.Add(e);
        }
        Events = Compact(builder.ToImmutable());
        Refused = refused ?? [];
        _rings = new RingMemo();
    }

    /// <summary>
    /// Events given to the constructor (from disk or from a peer) that may not enter a history, with why; they were
    /// left out, and everything else taken. Empty for a history built by merging or adding.
    /// </summary>
    public IReadOnlyList<RefusedEvent> Refused { get; } = [];

    private MembershipHistory(MembershipHistory template, ImmutableSortedSet<MembershipEvent> events)
    {
        ClusterName = template.ClusterName;
        PartitionCount = template.PartitionCount;
        DefaultBucket = template.DefaultBucket;
        Events = events;
        _rings = template._rings;
    }

    public long MaxLamport => Events.Count == 0 ? 0 : Events.Max!.Lamport;

    /// <summary>A cheap summary for gossip: equal digests mean (with overwhelming probability) equal histories.</summary>
    public HistoryDigest Digest
    {
        get
        {
            ulong h = 14695981039346656037UL;
            foreach (var e in Events)
            {
                h = Mix(h, (ulong)e.Lamport);
                foreach (char c in e.Origin) h = Mix(h, c);
            }
            return new HistoryDigest(Events.Count, h);
        }
    }

    private static ulong Mix(ulong h, ulong v) => (h ^ v) * 1099511628211UL;

    /// <summary>Adds one event (idempotent).</summary>
    /// <exception cref="ArgumentException">The event may not enter a history (<see cref="MembershipEvent.Problem"/>).</exception>
    public MembershipHistory Add(MembershipEvent e)
    {
        if (e.Problem() is { } problem) throw new ArgumentException($"membership event {e} refused: {problem}", nameof(e));
        if (Events.Contains(e)) return this;
        var events = Compact(Events.Add(e));
        return events.Contains(e) ? new MembershipHistory(this, events) : this; // a definition older than the bucket's current one changes nothing
    }

    /// <summary>Set union of two histories of the same cluster.</summary>
    public MembershipHistory Merge(MembershipHistory other)
    {
        if (other.ClusterName != ClusterName)
            throw new InvalidOperationException($"cannot merge membership of cluster '{other.ClusterName}' into cluster '{ClusterName}'");
        if (other.PartitionCount != PartitionCount)
            throw new InvalidOperationException($"cannot merge a ring of {other.PartitionCount} partitions into one of {PartitionCount}");
        if (other.Events.IsSubsetOf(Events)) return this;
        if (Events.IsSubsetOf(other.Events)) return new MembershipHistory(this, other.Events);
        var union = Compact(Events.Union(other.Events));
        return union.SetEquals(Events) ? this : new MembershipHistory(this, union); // the other side's extra events were all superseded here
    }

    /// <summary>
    /// Leaves out every bucket definition that a later one of the same bucket supersedes (<see cref="MembershipEvent.CompareDefinitions"/>): the history stays
    /// bounded however often a bucket is redefined (one event per bucket), and only the latest definition counts in
    /// the replay anyway. Compaction is a function of the set alone, so it commutes with union: silos that saw the
    /// same events hold the same compacted history, and a peer sending a superseded definition back adds nothing.
    /// Joins, leaves and departures are never compacted: the ring is replayed from all of them.
    /// </summary>
    private static ImmutableSortedSet<MembershipEvent> Compact(ImmutableSortedSet<MembershipEvent> events)
    {
        Dictionary<string, MembershipEvent>? latest = null;
        ImmutableSortedSet<MembershipEvent>.Builder? kept = null;
        foreach (var e in events)
        {
            if (e.Kind != MembershipEventKind.Bucket || e.Bucket is null) continue;
            latest ??= new Dictionary<string, MembershipEvent>(StringComparer.Ordinal);
            if (!latest.TryGetValue(e.Bucket.Name, out var other)) latest[e.Bucket.Name] = e;
            else if (MembershipEvent.CompareDefinitions(e, other) > 0)
            {
                (kept ??= events.ToBuilder()).Remove(other);
                latest[e.Bucket.Name] = e;
            }
            else (kept ??= events.ToBuilder()).Remove(e);
        }
        return kept?.ToImmutable() ?? events;
    }

    /// <summary>
    /// The meaning of the history: members, ring and buckets. Computed once, by the first caller (others wait for it
    /// rather than replay it as well), with every ring the histories it grew from already claimed taken from memory.
    /// </summary>
    public ClusterState State
    {
        get
        {
            if (Volatile.Read(ref _state) is { } state) return state;
            lock (_replaying)
            {
                return _state ??= Replay();
            }
        }
    }

    /// <summary>Rings this history's lineage claimed (a history grown by one join or leave claims one more).</summary>
    internal int RingClaims => _rings.Claims;

    private ClusterState Replay()
    {
        var members = ImmutableSortedDictionary.CreateBuilder<string, MemberState>(StringComparer.Ordinal);
        var buckets = ImmutableSortedDictionary.CreateBuilder<string, BucketSettings>(StringComparer.Ordinal);
        buckets[DefaultBucket.Name] = DefaultBucket;
        RingSnapshot? ring = null, ringBefore = null;
        foreach (var e in Events)
        {
            bool ringChanged = false;
            switch (e.Kind)
            {
                case MembershipEventKind.Join when e.Member is not null:
                    var previous = members.GetValueOrDefault(e.Member.Name);
                    members[e.Member.Name] = new MemberState(e.Member, MemberStatus.Up);
                    ringChanged = previous is null || previous.Status != MemberStatus.Up || previous.Info.Weight != e.Member.Weight || previous.Info.Zone != e.Member.Zone;
                    break;
                case MembershipEventKind.Leave when e.SiloName is not null && members.TryGetValue(e.SiloName, out var leaving) && leaving.Status == MemberStatus.Up:
                    members[e.SiloName] = leaving with { Status = MemberStatus.Leaving };
                    ringChanged = true;
                    break;
                case MembershipEventKind.Left when e.SiloName is not null && members.TryGetValue(e.SiloName, out var gone):
                    ringChanged = gone.Status == MemberStatus.Up;
                    members[e.SiloName] = gone with { Status = MemberStatus.Left };
                    break;
                case MembershipEventKind.Bucket when e.Bucket is not null:
                    buckets[e.Bucket.Name] = e.Bucket;
                    break;
            }
            if (!ringChanged) continue;
            var up = members.Values.Where(m => m.Status == MemberStatus.Up)
                .Select(m => new SiloMember(m.Info.Name, m.Info.Zone, m.Info.Weight)).ToList();
            ringBefore = ring;
            ring = up.Count == 0 ? null : _rings.Next(ring, up, PartitionCount);
        }
        return new ClusterState
        {
            ClusterName = ClusterName,
            PartitionCount = PartitionCount,
            Members = members.ToImmutable(),
            Ring = ring,
            PreviousRing = ring is null ? null : ringBefore,
            Buckets = buckets.ToImmutable(),
            // Grows with every change a merge makes: a new event adds to it, and a definition that replaces another of the
            // same bucket is greater in CompareDefinitions, hence in Lamport × 65536 + tiebreak.
            Version = Events.Sum(e => e.Kind == MembershipEventKind.Bucket ? e.Lamport * 65536 + MembershipEvent.OriginTiebreak(e.Origin) : 1),
        };
    }

    private sealed class EventOrder : IComparer<MembershipEvent>
    {
        public static readonly EventOrder Instance = new();

        public int Compare(MembershipEvent? x, MembershipEvent? y) => x is null ? (y is null ? 0 : -1) : x.CompareTo(y);
    }
}

/// <summary>Event count and an order-sensitive hash of event ids.</summary>
public readonly record struct HistoryDigest(int Count, ulong Hash)
{
    /// <summary>"count:hash" (the hash in 16 hex digits): equal on two silos that hold the same history.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Count}:{Hash:x16}");
}

/// <summary>A membership event left out of a history, and why.</summary>
public sealed record RefusedEvent(MembershipEvent Event, string Reason)
{
    public override string ToString() => $"{Event}: {Reason}";
}
