using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
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

    /// <summary>The sibling set of a kv row whose blob and crc are at <paramref name="blobOrdinal"/> and the column after it.</summary>
    public static SiblingSet ReadKv(SqliteDataReader r, int blobOrdinal, string path, int partition, string bucket, string key, ReadOnlySpan<byte> hash)
    {
        string what = KvName(partition, bucket, key);
        return DecodeKv(path, partition, bucket, key, hash, Blob(r, blobOrdinal, path, what), Integer(r, blobOrdinal + 1, path, what));
    }

    public static string KvName(int partition, string bucket, string key) => $"key {bucket}/{key} in partition {partition}";

    public static SiblingSet DecodeKv(string path, int partition, string bucket, string key, ReadOnlySpan<byte> hash, byte[] blob, long crc)
    {
        if (BlobChecksum.Compute(hash, blob) != crc)
            throw SqliteSchema.Corrupted(path, $"checksum mismatch for {KvName(partition, bucket, key)}");
        return Decode(path, blob, KvName(partition, bucket, key));
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

    /// <summary>
    /// The value of a BLOB column. Any other storage class (text or a number, written by hand or by another program:
    /// SQLite does not enforce column types) is damage, refused with the file, the column and <paramref name="what"/> named.
    /// </summary>
    public static byte[] Blob(SqliteDataReader r, int ordinal, string path, string what) =>
        r.GetValue(ordinal) as byte[] ?? throw WrongType(r, ordinal, path, what, "a blob");

    /// <summary>The value of an INTEGER column; anything else is damage, as for <see cref="Blob"/>.</summary>
    public static long Integer(SqliteDataReader r, int ordinal, string path, string what) =>
        r.GetValue(ordinal) is long value ? value : throw WrongType(r, ordinal, path, what, "an integer");

    private static StorageCorruptedException WrongType(SqliteDataReader r, int ordinal, string path, string what, string expected)
    {
        string found = r.GetValue(ordinal) switch
        {
            string => "text",
            long => "an integer",
            double => "a real number",
            byte[] => "a blob",
            _ => "NULL",
        };
        return SqliteSchema.Corrupted(path, $"{what}: column '{r.GetName(ordinal)}' holds {found} where {expected} belongs");
    }

    private static SiblingSet Decode(string path, byte[] blob, string what) =>
        StoredBlob.TryDecode(blob, out var set, out var reason) ? set : throw SqliteSchema.Corrupted(path, $"{what}: {reason}");
}
