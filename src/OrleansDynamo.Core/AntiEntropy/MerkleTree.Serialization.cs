using System.Buffers.Binary;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// The persisted form of a tree. Only leaves are stored; interior hashes are recomputed and checked
/// against the stored root, so a damaged file is refused rather than silently trusted.
/// <code>
/// tree v1 := 0x01 u16le fanOut, u8 depth, i64le keyCount, u64le root, u64le leaf * fanOut^depth
/// </code>
/// </summary>
public sealed partial class MerkleTree
{
    public const byte FormatV1 = 1;

    private const int HeaderBytes = 1 + 2 + 1 + 8 + 8;

    public byte[] Serialize()
    {
        var leaves = _levels[Shape.Depth];
        var bytes = new byte[HeaderBytes + leaves.Length * 8];
        bytes[0] = FormatV1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(1), (ushort)Shape.FanOut);
        bytes[3] = (byte)Shape.Depth;
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(4), KeyCount);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), Root);
        for (int i = 0; i < leaves.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(HeaderBytes + i * 8), leaves[i]);
        return bytes;
    }

    /// <exception cref="FormatException">The bytes are not a well-formed, self-consistent tree.</exception>
    public static MerkleTree Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes) throw new FormatException("merkle tree ends early");
        if (bytes[0] != FormatV1) throw new FormatException($"merkle tree has unknown format {bytes[0]}");
        int fanOut = BinaryPrimitives.ReadUInt16LittleEndian(bytes[1..]);
        int depth = bytes[3];
        MerkleShape shape;
        try
        {
            shape = new MerkleShape(fanOut, depth);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"merkle tree has an invalid shape {fanOut}^{depth}: {e.Message}");
        }
        long keyCount = BinaryPrimitives.ReadInt64LittleEndian(bytes[4..]);
        if (keyCount < 0) throw new FormatException("merkle tree has a negative key count");
        ulong storedRoot = BinaryPrimitives.ReadUInt64LittleEndian(bytes[12..]);
        if (bytes.Length != HeaderBytes + (long)shape.Segments * 8)
            throw new FormatException($"merkle tree of shape {shape} must be {HeaderBytes + (long)shape.Segments * 8} bytes, not {bytes.Length}");

        var tree = new MerkleTree(shape) { KeyCount = keyCount };
        var leaves = tree._levels[shape.Depth];
        for (int i = 0; i < leaves.Length; i++) leaves[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(HeaderBytes + i * 8)..]);
        tree.RecomputeInterior();
        if (tree.Root != storedRoot) throw new FormatException("merkle tree is damaged: its leaves do not match its root");
        return tree;
    }
}
