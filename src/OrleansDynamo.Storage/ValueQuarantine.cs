using System.Text;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Storage;

/// <summary>
/// A stored value whose bytes do not decode (a checksum mismatch, a sibling-set format the codec refuses, a blob or
/// checksum of the wrong type), as it was found: the partition, the key and the ring position it is stored under
/// (<paramref name="Hash"/>: the key's hash unless that was damaged too), its raw bytes and why. A scan reports it
/// (<see cref="PartitionPage.Undecodable"/>) and a read refuses it (<see cref="UndecodableValueException"/>) instead of
/// serving wrong data; <see cref="IPartitionStore.QuarantineAsync"/> moves it out of the partition.
/// </summary>
public sealed record UndecodableValue(int Partition, DynamoKey Key, KeyHash Hash, byte[] Blob, string Reason);

/// <summary>A stored value moved out of its partition because it did not decode: its bytes as stored, why, and when it was moved.</summary>
public sealed record QuarantinedValue(long Id, int Partition, DynamoKey Key, byte[] Blob, string Reason, long QuarantinedAtMs);

/// <summary>
/// A read met a stored value that does not decode: thrown instead of wrong data, with the row as found, so the caller can
/// quarantine it (<see cref="IPartitionStore.QuarantineAsync"/>) and treat the key as absent. The message names the
/// store's file, the key, the partition and the reason.
/// </summary>
public sealed class UndecodableValueException(UndecodableValue value, string message) : StorageCorruptedException(message)
{
    public UndecodableValue Value { get; } = value;
}

/// <summary>Helpers shared by the engines' value quarantines.</summary>
internal static class StoredValue
{
    /// <summary>"key bucket/key in partition p", as messages and logs name a stored value.</summary>
    public static string Name(int partition, DynamoKey key) => $"key {key} in partition {partition}";

    /// <summary>
    /// The bytes of a stored column value as found: a blob as it is; text (SQLite does not enforce column types) as its
    /// UTF-8 bytes; a number as its invariant text; nothing as no bytes.
    /// </summary>
    public static byte[] RawBytes(object? value) => value switch
    {
        byte[] bytes => bytes,
        string text => Encoding.UTF8.GetBytes(text),
        null or DBNull => [],
        _ => Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
    };
}
