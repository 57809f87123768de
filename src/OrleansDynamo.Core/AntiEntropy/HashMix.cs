namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// Stable 64-bit hashing for anti-entropy: FNV-1a over explicit little-endian bytes, and the
/// SplitMix64 finalizer to spread bits. Same results on every platform and process, unlike
/// <see cref="HashCode"/>, so two silos compute equal hashes for equal data.
/// </summary>
internal struct Fnv1a64()
{
    private const ulong OffsetBasis = 0xCBF29CE484222325;
    private const ulong Prime = 0x100000001B3;

    private ulong _hash = OffsetBasis;

    public void Add(byte b) => _hash = (_hash ^ b) * Prime;

    public void Add(ulong v)
    {
        for (int i = 0; i < 8; i++)
        {
            Add((byte)v);
            v >>= 8;
        }
    }

    public void Add(long v) => Add((ulong)v);

    /// <summary>The bytes alone (a caller that needs them delimited hashes their length first).</summary>
    public void Add(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes) Add(b);
    }

    /// <summary>Length-prefixed UTF-16 code units, low byte first.</summary>
    public void Add(string s)
    {
        Add((ulong)s.Length);
        foreach (char c in s)
        {
            Add((byte)c);
            Add((byte)(c >> 8));
        }
    }

    public readonly ulong Value => HashMix.Mix64(_hash);
}

/// <summary>Bit mixing shared by the Merkle tree and digests.</summary>
internal static class HashMix
{
    /// <summary>The SplitMix64 finalizer: a bijection on 64-bit values with full avalanche.</summary>
    public static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}
