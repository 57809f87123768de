using System.Security.Cryptography;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// A key as the key directory compares it: hash, bucket (interned id, or -1 for a bucket never stored, with its
/// name for ordering) and the key's UTF-8 bytes. Ordered as <see cref="EntryOrder"/>: hash, then bucket, then key, the
/// strings in code-point order (UTF-8 byte order).
/// </summary>
internal readonly ref struct KeyProbe(ulong hashHigh, ulong hashLow, int bucket, string bucketName, ReadOnlySpan<byte> key)
{
    public readonly ulong HashHigh = hashHigh;
    public readonly ulong HashLow = hashLow;
    public readonly int Bucket = bucket;
    public readonly string BucketName = bucketName;
    public readonly ReadOnlySpan<byte> Key = key;

    public static KeyProbe Of(KeyHash hash, int bucket, string bucketName, ReadOnlySpan<byte> key) =>
        new((ulong)(hash.Value >> 64), (ulong)hash.Value, bucket, bucketName, key);

    /// <summary>The probe of a record's bucket and key: the key hash as <see cref="KeyHash.Of"/> computes it (MD5 of bucket, a zero byte, key).</summary>
    public static KeyProbe OfRecord(BucketNames buckets, ReadOnlySpan<byte> bucket, ReadOnlySpan<byte> key)
    {
        int id = buckets.Intern(bucket);
        int n = bucket.Length + 1 + key.Length;
        Span<byte> input = n <= 2048 ? stackalloc byte[n] : new byte[n];
        bucket.CopyTo(input);
        input[bucket.Length] = 0;
        key.CopyTo(input[(bucket.Length + 1)..]);
        Span<byte> digest = stackalloc byte[16];
        MD5.HashData(input, digest);
        var hash = KeyHash.FromBytes(digest);
        return Of(hash, id, buckets.Name(id), key);
    }

    /// <summary>The order of <paramref name="slot"/> (whose key bytes are <paramref name="slotKey"/>) against <paramref name="probe"/>.</summary>
    public static int Compare(in KeySlot slot, ReadOnlySpan<byte> slotKey, in KeyProbe probe, BucketNames buckets)
    {
        int c = slot.HashHigh.CompareTo(probe.HashHigh);
        if (c != 0) return c;
        c = slot.HashLow.CompareTo(probe.HashLow);
        if (c != 0) return c;
        if (slot.Bucket != probe.Bucket)
        {
            c = EntryOrder.CompareCodePoints(buckets.Name(slot.Bucket), probe.BucketName);
            if (c != 0) return c;
        }
        return slotKey.SequenceCompareTo(probe.Key);
    }
}
