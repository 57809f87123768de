using System.Collections.Immutable;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.Ring;

/// <summary>
/// One immutable, versioned view of the ring (Dynamo strategy 3): the 128-bit hash space cut
/// into Q equal partitions, partition p covering [p·2¹²⁸/Q, (p+1)·2¹²⁸/Q), each owned by one
/// silo. A membership change makes a new snapshot with <see cref="WithMembers"/>; callers swap
/// it in atomically so one request always reads one consistent ring.
/// </summary>
public sealed class RingSnapshot
{
    /// <summary>Q when none is configured: enough partitions for a few hundred silos, few enough to keep the ring small.</summary>
    public const int DefaultPartitionCount = 1024;

    private readonly Dictionary<string, int> _idOf;   // silo name → index in Members
    private readonly string[] _names;                  // index in Members → name
    private readonly int[] _ownerIds;                  // partition → index in Members
    private readonly int[] _zoneIds;                   // index in Members → zone id
    private readonly int _zoneCount;
    private readonly int _distinctOwners;

    /// <summary>
    /// Rebuilds a snapshot from its parts, e.g. one received by gossip or read from disk.
    /// Every owner must be a member; <paramref name="members"/> may be in any order.
    /// </summary>
    public RingSnapshot(int partitionCount, long version, IEnumerable<string> owners, IEnumerable<SiloMember> members)
    {
        RingArguments.CheckPartitionCount(partitionCount, nameof(partitionCount));
        ArgumentNullException.ThrowIfNull(owners);
        var sorted = RingArguments.SortedMembers(members, nameof(members));
        var ownerArray = owners.ToImmutableArray();
        if (ownerArray.Length != partitionCount)
            throw new ArgumentException($"The ring has {partitionCount} partitions but {ownerArray.Length} owners were given.", nameof(owners));

        _names = sorted.Select(m => m.Name).ToArray();
        _idOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _names.Length; i++) _idOf[_names[i]] = i;
        var zones = new Dictionary<string, int>(StringComparer.Ordinal);
        _zoneIds = new int[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            string zone = sorted[i].Zone ?? "";
            if (!zones.TryGetValue(zone, out int id)) zones[zone] = id = zones.Count;
            _zoneIds[i] = id;
        }
        _zoneCount = zones.Count;

        _ownerIds = new int[partitionCount];
        var owning = new bool[sorted.Length];
        for (int p = 0; p < ownerArray.Length; p++)
        {
            if (ownerArray[p] is null || !_idOf.TryGetValue(ownerArray[p], out int id))
                throw new ArgumentException($"Partition {p} is owned by '{ownerArray[p]}', which is not a member of the ring.", nameof(owners));
            _ownerIds[p] = id;
            if (!owning[id]) { owning[id] = true; _distinctOwners++; }
        }
        PartitionCount = partitionCount;
        Version = version;
        Owners = ownerArray;
        Members = sorted.ToImmutableArray();
    }

    /// <summary>Q: the fixed number of equal partitions, a power of two.</summary>
    public int PartitionCount { get; }

    /// <summary>Grows by one with every membership change, so the newer of two snapshots is known.</summary>
    public long Version { get; }

    /// <summary>Partition index → owning silo name.</summary>
    public ImmutableArray<string> Owners { get; }

    /// <summary>The member silos, sorted by name (ordinal).</summary>
    public ImmutableArray<SiloMember> Members { get; }

    /// <summary>Claims a brand-new ring for <paramref name="members"/>.</summary>
    public static RingSnapshot Create(IEnumerable<SiloMember> members, int partitionCount, long version = 1, int targetN = Claim.DefaultTargetN)
    {
        var sorted = RingArguments.SortedMembers(members, nameof(members));
        return new RingSnapshot(partitionCount, version, Claim.Compute(null, sorted, partitionCount, targetN), sorted);
    }

    /// <summary>
    /// The ring after a membership change (join, leave, zone or weight change): re-claimed from
    /// the current owners so that as few partitions as possible move. Version goes up by one.
    /// </summary>
    public RingSnapshot WithMembers(IEnumerable<SiloMember> members, int targetN = Claim.DefaultTargetN)
    {
        var sorted = RingArguments.SortedMembers(members, nameof(members));
        return new RingSnapshot(PartitionCount, Version + 1, Claim.Compute(Owners, sorted, PartitionCount, targetN), sorted);
    }

    /// <summary>The member named <paramref name="silo"/>, or null.</summary>
    public SiloMember? FindMember(string silo) => _idOf.TryGetValue(silo, out int id) ? Members[id] : null;

    /// <summary>The partition holding a ring position: the top log2(Q) bits of the hash.</summary>
    public int PartitionOf(KeyHash h) => h.Partition(PartitionCount);

    /// <summary>The partition holding a key.</summary>
    public int PartitionOf(DynamoKey k) => PartitionOf(k.Hash);

    /// <summary>The first <paramref name="n"/> distinct (zone-aware) silos for a partition, and every other silo as fallbacks.</summary>
    public PreferenceList PreferenceListFor(int partition, int n)
    {
        if ((uint)partition >= (uint)PartitionCount)
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"A partition index lies in [0, {PartitionCount}).");
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "The number of replicas N must be at least 1.");

        int silos = _names.Length;
        Span<bool> seen = silos <= 256 ? stackalloc bool[silos] : new bool[silos];
        Span<int> walk = silos <= 256 ? stackalloc int[silos] : new int[silos];
        int met = 0, mask = PartitionCount - 1;
        for (int i = 0; i < PartitionCount && met < _distinctOwners; i++)
        {
            int owner = _ownerIds[(partition + i) & mask];
            if (!seen[owner]) { seen[owner] = true; walk[met++] = owner; }
        }
        for (int id = 0; id < silos; id++)
        {
            if (!seen[id]) walk[met++] = id; // owns no partition: met last, in name order
        }
        return PreferenceList.Choose(partition, walk, _zoneIds, _zoneCount, _names, n);
    }

    /// <summary>The preference list of the partition holding <paramref name="key"/>.</summary>
    public PreferenceList PreferenceListFor(DynamoKey key, int n) => PreferenceListFor(PartitionOf(key), n);

    /// <summary>Silo name → number of partitions it owns (members owning none appear with 0).</summary>
    public IReadOnlyDictionary<string, int> PartitionCounts()
    {
        var counts = Members.ToDictionary(m => m.Name, _ => 0, StringComparer.Ordinal);
        foreach (var owner in Owners) counts[owner]++;
        return counts;
    }

    /// <summary>The partitions for which <paramref name="silo"/> is among the first <paramref name="n"/> of the preference list, ascending.</summary>
    public IReadOnlyList<int> PartitionsOf(string silo, int n)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var result = new List<int>();
        if (!_idOf.ContainsKey(silo)) return result;
        for (int p = 0; p < PartitionCount; p++)
        {
            if (PreferenceListFor(p, n).Primaries.Contains(silo, StringComparer.Ordinal)) result.Add(p);
        }
        return result;
    }

    public override string ToString() => $"Ring v{Version}: {PartitionCount} partitions over {Members.Length} silos";
}
