using System.Buffers.Binary;
using System.Numerics;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// CRC-32C stored beside every blob: SQLite checks its page structure but not the bytes inside a
/// value, so a flipped bit in a value page would otherwise be served as data.
/// </summary>
internal static class BlobChecksum
{
    public static long Compute(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> blob) =>
        ~Append(Append(0xFFFFFFFFu, prefix), blob);

    private static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }
}
