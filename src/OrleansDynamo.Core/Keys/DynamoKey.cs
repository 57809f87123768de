using System.Security.Cryptography;
using System.Text;

namespace OrleansDynamo.Core.Keys;

/// <summary>
/// A key inside a bucket. Its position on the ring is the MD5 of the bucket name,
/// a zero byte and the key, read as a big-endian 128-bit number (Dynamo §4.2,
/// Riak hashes {Bucket, Key} the same way so buckets spread over the whole ring).
/// The hash is computed once, when the key is made: a request asks for it several times (its partition, the store's
/// key directory, the anti-entropy tree), and each MD5 is a call into the platform's crypto library.
/// </summary>
public readonly record struct DynamoKey
{
    /// <summary>Largest key accepted, in UTF-8 bytes (ARCHITECTURE: "key empty or over 1 KiB").</summary>
    public const int MaxKeyBytes = 1024;

    public DynamoKey(string bucket, string key)
    {
        Hash = KeyHash.Of(bucket, key);
        Bucket = bucket;
        Key = key;
    }

    /// <summary>The key's ring position. Declared first: equal keys have equal hashes, and unequal ones nearly always differ here.</summary>
    public KeyHash Hash { get; }

    public string Bucket { get; }

    public string Key { get; }

    public void Deconstruct(out string bucket, out string key)
    {
        bucket = Bucket;
        key = Key;
    }

    public override string ToString() => $"{Bucket}/{Key}";
}

/// <summary>A 128-bit ring position.</summary>
public readonly record struct KeyHash(UInt128 Value) : IComparable<KeyHash>
{
    public static KeyHash Of(string bucket, string key)
    {
        int max = Encoding.UTF8.GetMaxByteCount(bucket.Length + key.Length) + 1;
        byte[]? rented = null;
        Span<byte> buffer = max <= 2048 ? stackalloc byte[max] : (rented = new byte[max]);
        int n = Encoding.UTF8.GetBytes(bucket, buffer);
        buffer[n++] = 0;
        n += Encoding.UTF8.GetBytes(key, buffer[n..]);
        Span<byte> digest = stackalloc byte[16];
        MD5.HashData(buffer[..n], digest);
        return FromBytes(digest);
    }

    public static KeyHash FromBytes(ReadOnlySpan<byte> bytes16)
    {
        if (bytes16.Length != 16) throw new ArgumentException("A key hash is 16 bytes.", nameof(bytes16));
        ulong hi = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes16);
        ulong lo = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes16[8..]);
        return new KeyHash(new UInt128(hi, lo));
    }

    public void WriteBytes(Span<byte> destination16)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination16, (ulong)(Value >> 64));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination16[8..], (ulong)Value);
    }

    public byte[] ToBytes()
    {
        var b = new byte[16];
        WriteBytes(b);
        return b;
    }

    /// <summary>The partition of this hash when the ring has <paramref name="partitionCount"/> (a power of two) equal partitions.</summary>
    public int Partition(int partitionCount)
    {
        int bits = System.Numerics.BitOperations.Log2((uint)partitionCount);
        return bits == 0 ? 0 : (int)(Value >> (128 - bits));
    }

    public int CompareTo(KeyHash other) => Value.CompareTo(other.Value);

    public override string ToString() => Value.ToString("x32");
}
