using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// A Merkle tree over one partition replica's keys (Dynamo §4.7). A key falls in a leaf segment
/// chosen by the low bits of its <see cref="KeyHash"/> (the high bits pick the partition, so they
/// are the same for every key here). A leaf's hash is the wrapping sum of its keys' entry hashes,
/// so it does not depend on insertion order and <see cref="Update"/> adjusts it in O(1); interior
/// hashes are recomputed along the path to the root, O(FanOut × Depth) per update. Not thread-safe:
/// owned by one partition grain. See <c>AntiEntropy/README.md</c> for the design.
/// </summary>
public sealed partial class MerkleTree
{
    private const ulong InteriorSeed = 0x9E3779B97F4A7C15;

    /// <summary>_levels[0] holds the root, _levels[Depth] the leaves.</summary>
    private readonly ulong[][] _levels;

    public MerkleTree(MerkleShape? shape = null)
    {
        Shape = shape ?? MerkleShape.Default;
        _levels = new ulong[Shape.Depth + 1][];
        for (int level = 0; level <= Shape.Depth; level++) _levels[level] = new ulong[Shape.NodesAt(level)];
        RecomputeInterior();
    }

    private MerkleTree(MerkleShape shape, ulong[][] levels, long keyCount)
    {
        Shape = shape;
        _levels = levels;
        KeyCount = keyCount;
    }

    /// <summary>Builds a tree from every key and its <see cref="VersionDigest"/> at once.</summary>
    public static MerkleTree Build(IEnumerable<(KeyHash Key, ulong Digest)> entries, MerkleShape? shape = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var tree = new MerkleTree(shape);
        var leaves = tree._levels[tree.Shape.Depth];
        foreach (var (key, digest) in entries)
        {
            leaves[tree.SegmentOf(key)] += EntryHash(key, digest);
            tree.KeyCount++;
        }
        tree.RecomputeInterior();
        return tree;
    }

    public MerkleShape Shape { get; }

    /// <summary>Keys currently in the tree (as told by <see cref="Update"/>).</summary>
    public long KeyCount { get; private set; }

    public ulong Root => _levels[0][0];

    /// <summary>The leaf segment of <paramref name="key"/>: its low 64 bits modulo the segment count.</summary>
    public int SegmentOf(KeyHash key) => (int)((ulong)key.Value % (ulong)Shape.Segments);

    /// <summary>The contribution of one key to its leaf: a mix of the key hash and its version digest.</summary>
    public static ulong EntryHash(KeyHash key, ulong digest)
    {
        ulong h = HashMix.Mix64(digest ^ 0xD6E8FEB86659FD93);
        h = HashMix.Mix64(h ^ (ulong)(key.Value >> 64));
        return HashMix.Mix64(h ^ (ulong)key.Value);
    }

    /// <summary>
    /// Records that <paramref name="key"/>'s digest changed from <paramref name="oldDigest"/> to
    /// <paramref name="newDigest"/> (null = absent). The old digest must be what the tree was last told
    /// for this key; the tree cannot check it.
    /// </summary>
    public void Update(KeyHash key, ulong? oldDigest, ulong? newDigest)
    {
        if (oldDigest == newDigest) return;
        int segment = SegmentOf(key);
        var leaves = _levels[Shape.Depth];
        if (oldDigest is ulong o)
        {
            leaves[segment] -= EntryHash(key, o);
            KeyCount--;
        }
        if (newDigest is ulong n)
        {
            leaves[segment] += EntryHash(key, n);
            KeyCount++;
        }
        int index = segment;
        for (int level = Shape.Depth - 1; level >= 0; level--)
        {
            index /= Shape.FanOut;
            _levels[level][index] = Combine(_levels[level + 1], index * Shape.FanOut, Shape.FanOut);
        }
    }

    /// <summary>The hash of node <paramref name="index"/> at <paramref name="level"/>.</summary>
    public ulong Hash(int level, int index)
    {
        var row = Row(level);
        if ((uint)index >= (uint)row.Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"level {level} has nodes 0..{row.Length - 1}");
        return row[index];
    }

    /// <summary>The hashes of the given nodes at <paramref name="level"/>, in the order asked: the remote side's answer to a <see cref="MerkleRequest"/>.</summary>
    public ulong[] Hashes(int level, IReadOnlyList<int> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var result = new ulong[nodes.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Hash(level, nodes[i]);
        return result;
    }

    /// <summary>
    /// The hashes of every child (at level+1) of the given parents at <paramref name="level"/>, FanOut per parent. A
    /// request naming more parents than the level has, or a parent it lacks, is refused before anything is allocated,
    /// so the answer is never larger than the level below.
    /// </summary>
    public ulong[] Children(int level, IReadOnlyList<int> parents)
    {
        ArgumentNullException.ThrowIfNull(parents);
        if (level < 0 || level >= Shape.Depth)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"only levels 0..{Shape.Depth - 1} have children");
        var row = _levels[level];
        if (parents.Count > row.Length)
            throw new ArgumentOutOfRangeException(nameof(parents), parents.Count, $"level {level} has only {row.Length} nodes");
        for (int i = 0; i < parents.Count; i++) Hash(level, parents[i]);
        var result = new ulong[parents.Count * Shape.FanOut];
        for (int i = 0; i < parents.Count; i++)
            Array.Copy(_levels[level + 1], parents[i] * Shape.FanOut, result, i * Shape.FanOut, Shape.FanOut);
        return result;
    }

    /// <summary>Answers a request of a <see cref="MerkleExchange"/> run by another replica.</summary>
    public ulong[] Answer(MerkleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Hashes(request.Level, request.Nodes);
    }

    /// <summary>An independent copy, e.g. a snapshot to run an exchange against while updates go on.</summary>
    public MerkleTree Clone() =>
        new(Shape, _levels.Select(row => (ulong[])row.Clone()).ToArray(), KeyCount);

    private ulong[] Row(int level)
    {
        if (level < 0 || level > Shape.Depth)
            throw new ArgumentOutOfRangeException(nameof(level), level, $"level must be 0..{Shape.Depth}");
        return _levels[level];
    }

    private void RecomputeInterior()
    {
        for (int level = Shape.Depth - 1; level >= 0; level--)
        {
            var row = _levels[level];
            for (int i = 0; i < row.Length; i++) row[i] = Combine(_levels[level + 1], i * Shape.FanOut, Shape.FanOut);
        }
    }

    private static ulong Combine(ulong[] children, int start, int count)
    {
        ulong h = InteriorSeed;
        for (int i = start; i < start + count; i++) h = HashMix.Mix64(h ^ children[i]) + 1;
        return h;
    }
}
