using System.Diagnostics.CodeAnalysis;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>Turns stored blobs back into values, refusing any whose checksum or format is wrong.</summary>
internal static class SqliteRows
{
    /// <summary>Sets the parameters of a key-addressed statement ($p, $h, $b, $k, in that order).</summary>
    public static void BindKey(Microsoft.Data.Sqlite.SqliteCommand cmd, int partition, byte[] hash, string bucket, string key)
    {
        var ps = cmd.Parameters;
        ps[0].Value = partition;
        ps[1].Value = hash;
        ps[2].Value = bucket;
        ps[3].Value = key;
    }

    public static SiblingSet DecodeKv(string path, int partition, string bucket, string key, ReadOnlySpan<byte> hash, byte[] blob, long crc)
    {
        if (BlobChecksum.Compute(hash, blob) != crc)
            throw SqliteSchema.Corrupted(path, $"checksum mismatch for key {bucket}/{key} in partition {partition}");
        return Decode(path, blob, $"key {bucket}/{key} in partition {partition}");
    }

    /// <summary>A hint's sibling set, or why its stored bytes do not decode (a hint row is quarantined, not thrown for).</summary>
    public static bool TryDecodeHint(byte[] blob, long crc, [NotNullWhen(true)] out SiblingSet? set, out string reason)
    {
        long computed = BlobChecksum.Compute(default, blob);
        if (computed != crc)
        {
            set = null;
            reason = $"checksum mismatch (stored {crc:x8}, computed {computed:x8})";
            return false;
        }
        return StoredBlob.TryDecode(blob, out set, out reason);
    }

    public static byte[] CheckMeta(string path, string name, byte[] blob, long crc)
    {
        if (BlobChecksum.Compute(default, blob) != crc)
            throw SqliteSchema.Corrupted(path, $"checksum mismatch for metadata '{name}'");
        return blob;
    }

    private static SiblingSet Decode(string path, byte[] blob, string what) =>
        StoredBlob.TryDecode(blob, out var set, out var reason) ? set : throw SqliteSchema.Corrupted(path, $"{what}: {reason}");
}
