using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Ring;

namespace OrleansDynamo.Client;

/// <summary>
/// The ring as a client sees it: an immutable snapshot of the silos, the owner of each of the Q
/// partitions and the buckets. Computes a key's preference list itself, exactly as the silos do
/// (<see cref="RingSnapshot.PreferenceListFor(int, int)"/>): partition =
/// <c>KeyHash.Of(bucket, key).Partition(Q)</c>, then the first N distinct silos clockwise
/// (zone-aware when zones are configured).
/// </summary>
public sealed class ClusterRing
{
    /// <summary>N for a bucket the ring does not list, when it lists no <c>default</c> bucket either.</summary>
    public const int DefaultReplicationFactor = 3;

    private readonly int[] _owners;
    private readonly ClusterSilo[] _silos;
    private readonly Dictionary<string, BucketSettings> _buckets;
    private readonly Dictionary<string, int> _siloIndex;
    private readonly int _defaultN;
    private readonly RingSnapshot _snapshot;
    // By N (1..MaxN), built on first use: the preference lists of every partition as silo indices,
    // flattened, partition p at [p * width, (p + 1) * width) with width = min(N, silo count).
    private readonly int[]?[] _tables = new int[]?[BucketSettings.MaxN + 1];

    /// <summary>Builds a snapshot; throws <see cref="ArgumentException"/> when the parts do not fit together.</summary>
    public ClusterRing(
        string clusterName,
        ulong version,
        IReadOnlyList<ClusterSilo> silos,
        IReadOnlyList<int> owners,
        IReadOnlyList<BucketSettings> buckets,
        string answeredBy = "")
    {
        ArgumentNullException.ThrowIfNull(silos);
        ArgumentNullException.ThrowIfNull(owners);
        ArgumentNullException.ThrowIfNull(buckets);
        int q = owners.Count;
        if (q < 1 || (q & (q - 1)) != 0)
            throw new ArgumentException($"the ring must have a power-of-two number of partitions; it has {q}", nameof(owners));
        if (silos.Count == 0)
            throw new ArgumentException("the ring has no silos", nameof(silos));

        ClusterName = clusterName ?? string.Empty;
        Version = version;
        AnsweredBy = answeredBy ?? string.Empty;
        _silos = new ClusterSilo[silos.Count];
        _siloIndex = new Dictionary<string, int>(silos.Count, StringComparer.Ordinal);
        for (int i = 0; i < _silos.Length; i++)
        {
            _silos[i] = silos[i] ?? throw new ArgumentException($"silo {i} is null", nameof(silos));
            _siloIndex.TryAdd(_silos[i].Name, i);
        }
        _owners = new int[q];
        for (int p = 0; p < q; p++)
        {
            int owner = owners[p];
            if ((uint)owner >= (uint)_silos.Length)
                throw new ArgumentException($"partition {p} names owner {owner}, but the ring has {_silos.Length} silos", nameof(owners));
            _owners[p] = owner;
        }
        _buckets = new Dictionary<string, BucketSettings>(StringComparer.Ordinal);
        var bucketList = new BucketSettings[buckets.Count];
        for (int i = 0; i < bucketList.Length; i++)
        {
            bucketList[i] = buckets[i] ?? throw new ArgumentException($"bucket {i} is null", nameof(buckets));
            _buckets[bucketList[i].Name] = bucketList[i];
        }
        _defaultN = _buckets.TryGetValue(BucketSettings.DefaultName, out var d) ? d.N : DefaultReplicationFactor;

        Silos = _silos;
        Owners = _owners;
        Buckets = bucketList;

        var ownerNames = new string[q];
        for (int p = 0; p < q; p++) ownerNames[p] = _silos[_owners[p]].Name;
        var members = new SiloMember[_silos.Length];
        for (int i = 0; i < members.Length; i++)
            members[i] = new SiloMember(_silos[i].Name, string.IsNullOrEmpty(_silos[i].Zone) ? null : _silos[i].Zone);
        _snapshot = new RingSnapshot(q, unchecked((long)version), ownerNames, members);

        // Build the tables requests will use now, off the request path.
        TableFor(_defaultN);
        foreach (var bucket in bucketList) TableFor(bucket.N);
    }

    /// <summary>The cluster's name.</summary>
    public string ClusterName { get; }

    /// <summary>The ring version; a newer ring has a larger one.</summary>
    public ulong Version { get; }

    /// <summary>Q, a power of two fixed when the cluster was created.</summary>
    public int PartitionCount => _owners.Length;

    /// <summary>Every silo of the ring; <see cref="Owners"/> indexes into it.</summary>
    public IReadOnlyList<ClusterSilo> Silos { get; }

    /// <summary>Per partition: the index in <see cref="Silos"/> of its owner.</summary>
    public IReadOnlyList<int> Owners { get; }

    /// <summary>The buckets the cluster knows.</summary>
    public IReadOnlyList<BucketSettings> Buckets { get; }

    /// <summary>The name of the silo that sent this ring.</summary>
    public string AnsweredBy { get; }

    /// <summary>
    /// The largest request the silo that sent this ring accepts (its <c>Silo:Limits:MaxValueBytes</c> plus 68 KiB for key
    /// and context); the client refuses a larger put itself. 0: not stated (a silo older than this client).
    /// </summary>
    public long MaxRequestBytes { get; init; }

    /// <summary>The partition a key falls in.</summary>
    public int PartitionOf(string bucket, string key) => KeyHash.Of(bucket, key).Partition(_owners.Length);

    /// <summary>The settings of a bucket, or null when the ring does not list it.</summary>
    public BucketSettings? FindBucket(string bucket) => _buckets.GetValueOrDefault(bucket);

    /// <summary>N of a bucket; for a bucket the ring does not list, N of <c>default</c> (3 when that is absent too).</summary>
    public int ReplicationFactor(string bucket) => _buckets.TryGetValue(bucket, out var settings) ? settings.N : _defaultN;

    /// <summary>The silo owning a partition.</summary>
    public ClusterSilo OwnerOf(int partition)
    {
        CheckPartition(partition);
        return _silos[_owners[partition]];
    }

    /// <summary>The silo with that name, or null.</summary>
    public ClusterSilo? FindSilo(string name) => _siloIndex.TryGetValue(name, out int i) ? _silos[i] : null;

    /// <summary>The key's preference list with the bucket's N.</summary>
    public IReadOnlyList<ClusterSilo> PreferenceList(string bucket, string key) =>
        PreferenceList(bucket, key, ReplicationFactor(bucket));

    /// <summary>The first <paramref name="n"/> distinct silos clockwise from the key's partition (fewer when the ring has fewer).</summary>
    public IReadOnlyList<ClusterSilo> PreferenceList(string bucket, string key, int n) =>
        PreferenceListOf(PartitionOf(bucket, key), n);

    /// <summary>The first <paramref name="n"/> distinct silos clockwise from <paramref name="partition"/>.</summary>
    public IReadOnlyList<ClusterSilo> PreferenceListOf(int partition, int n)
    {
        CheckPartition(partition);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var primaries = _snapshot.PreferenceListFor(partition, n).Primaries;
        var result = new ClusterSilo[primaries.Length];
        for (int i = 0; i < result.Length; i++) result[i] = _silos[_siloIndex[primaries[i]]];
        return result;
    }

    /// <summary>The preference list as silo indices, from a precomputed table (N is capped at <see cref="BucketSettings.MaxN"/>).</summary>
    internal ReadOnlySpan<int> PreferenceIndices(int partition, int n)
    {
        if (n < 1) return default;
        if (n > BucketSettings.MaxN) n = BucketSettings.MaxN;
        var table = _tables[n] ?? TableFor(n);
        int width = table.Length / _owners.Length;
        return table.AsSpan(partition * width, width);
    }

    private int[] TableFor(int n)
    {
        if (n < 1) n = 1;
        if (n > BucketSettings.MaxN) n = BucketSettings.MaxN;
        if (_tables[n] is { } built) return built;
        int width = Math.Min(n, _silos.Length);
        var table = new int[_owners.Length * width];
        for (int p = 0; p < _owners.Length; p++)
        {
            var primaries = _snapshot.PreferenceListFor(p, n).Primaries;
            for (int i = 0; i < width; i++) table[p * width + i] = _siloIndex[primaries[i]];
        }
        return Interlocked.CompareExchange(ref _tables[n], table, null) ?? table;
    }

    /// <summary>Index of a silo by name, or -1.</summary>
    internal int IndexOf(string name) => _siloIndex.TryGetValue(name, out int i) ? i : -1;

    private void CheckPartition(int partition)
    {
        if ((uint)partition >= (uint)_owners.Length)
            throw new ArgumentOutOfRangeException(nameof(partition), partition, $"the ring has partitions 0..{_owners.Length - 1}");
    }
}
