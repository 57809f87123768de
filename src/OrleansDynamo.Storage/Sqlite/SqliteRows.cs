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

    /// <summary>
    /// The sibling set of a kv row whose blob and crc are at <paramref name="blobOrdinal"/> and the column after it, or
    /// why its stored bytes do not decode: a blob or checksum of the wrong type, a checksum mismatch (of
    /// <paramref name="hash"/>, the stored key hash, and the blob), or the codec's error. Never throws for the bytes.
    /// </summary>
    public static bool TryReadKv(SqliteDataReader r, int blobOrdinal, ReadOnlySpan<byte> hash,
        [NotNullWhen(true)] out SiblingSet? set, out object blob, out string reason)
    {
        blob = r.GetValue(blobOrdinal);
        set = null;
        if (blob is not byte[] bytes)
        {
            reason = WrongType(r, blobOrdinal, blob, "a blob");
            return false;
        }
        object crc = r.GetValue(blobOrdinal + 1);
        if (crc is not long stored)
        {
            reason = WrongType(r, blobOrdinal + 1, crc, "an integer");
            return false;
        }
        long computed = BlobChecksum.Compute(hash, bytes);
        if (computed != stored)
        {
            reason = $"checksum mismatch (stored {stored:x8}, computed {computed:x8})";
            return false;
        }
        return StoredBlob.TryDecode(bytes, out set, out reason);
    }

    /// <summary>The error a read raises for a stored value that does not decode: the file, the key, the partition and why.</summary>
    public static UndecodableValueException Undecodable(string path, UndecodableValue value) =>
        new(value, $"storage file '{path}' is damaged or not an OrleansDynamo store: {StoredValue.Name(value.Partition, value.Key)}: {value.Reason}");

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

    /// <summary>The 16 bytes of a kv row's key_hash column; anything else is damage, refused naming the file, the key and the column.</summary>
    public static byte[] KeyHash(SqliteDataReader r, int ordinal, string path, int partition, Core.Keys.DynamoKey key)
    {
        object value = r.GetValue(ordinal);
        if (value is byte[] { Length: 16 } hash) return hash;
        string found = value is byte[] other ? $"a blob of {other.Length} bytes" : Describe(value);
        throw SqliteSchema.Corrupted(path, $"{StoredValue.Name(partition, key)}: column '{r.GetName(ordinal)}' holds {found} where a 16-byte blob belongs");
    }

    /// <summary>The value of an INTEGER column; anything else is damage, as for <see cref="Blob"/>.</summary>
    public static long Integer(SqliteDataReader r, int ordinal, string path, string what) =>
        r.GetValue(ordinal) is long value ? value : throw WrongType(r, ordinal, path, what, "an integer");

    private static StorageCorruptedException WrongType(SqliteDataReader r, int ordinal, string path, string what, string expected) =>
        SqliteSchema.Corrupted(path, $"{what}: {WrongType(r, ordinal, r.GetValue(ordinal), expected)}");

    private static string WrongType(SqliteDataReader r, int ordinal, object value, string expected) =>
        $"column '{r.GetName(ordinal)}' holds {Describe(value)} where {expected} belongs";

    private static string Describe(object value) => value switch
    {
        string => "text",
        long => "an integer",
        double => "a real number",
        byte[] => "a blob",
        _ => "NULL",
    };
}
