namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// The fixed geometry of a Merkle tree: every interior node has <see cref="FanOut"/> children and the
/// leaves sit <see cref="Depth"/> levels below the root, so there are FanOut^Depth leaf segments.
/// Two replicas' trees are comparable only when their shapes are equal. Level 0 is the root; level
/// <see cref="Depth"/> holds the leaves.
/// </summary>
public sealed record MerkleShape
{
    public const int MaxFanOut = 256;
    public const int MaxDepth = 8;
    public const int MaxSegments = 1 << 24;

    /// <summary>16 × 16 × 16 = 4096 segments.</summary>
    public static MerkleShape Default { get; } = new();

    public MerkleShape(int fanOut = 16, int depth = 3)
    {
        if (fanOut < 2 || fanOut > MaxFanOut)
            throw new ArgumentOutOfRangeException(nameof(fanOut), fanOut, $"fan-out must be 2..{MaxFanOut}");
        if (depth < 1 || depth > MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"depth must be 1..{MaxDepth}");
        long segments = 1;
        for (int i = 0; i < depth; i++) segments *= fanOut;
        if (segments > MaxSegments)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"fan-out^depth must be at most {MaxSegments}");
        FanOut = fanOut;
        Depth = depth;
        Segments = (int)segments;
    }

    public int FanOut { get; }

    public int Depth { get; }

    /// <summary>Number of leaves, FanOut^Depth.</summary>
    public int Segments { get; }

    /// <summary>Number of nodes at <paramref name="level"/> (0 = root, <see cref="Depth"/> = leaves).</summary>
    public int NodesAt(int level)
    {
        if (level < 0 || level > Depth) throw new ArgumentOutOfRangeException(nameof(level), level, $"level must be 0..{Depth}");
        int n = 1;
        for (int i = 0; i < level; i++) n *= FanOut;
        return n;
    }

    public override string ToString() => $"{FanOut}^{Depth}";
}
