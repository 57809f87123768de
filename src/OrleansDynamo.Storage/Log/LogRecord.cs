using System.Buffers.Binary;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Storage.Sqlite;

namespace OrleansDynamo.Storage.Log;

/// <summary>What a record does. Written to disk: values are only ever appended, never renumbered.</summary>
internal enum LogRecordKind : byte
{
    /// <summary>A key's sibling set (the value bytes).</summary>
    Put = 1,

    /// <summary>A key removed (tombstone garbage collection or quarantine); no value bytes.</summary>
    Delete = 2,

    /// <summary>Every key of a partition removed; bucket, key and value are empty.</summary>
    DropPartition = 3,
}

/// <summary>The fixed part of a record's header, as read back.</summary>
internal readonly record struct LogRecordHeader(
    LogRecordKind Kind, long Seq, int Partition, int BucketLength, int KeyLength, int ValueLength, uint ValueCrc)
{
    /// <summary>Bytes of the header with its bucket and key (what the header checksum covers, with the checksum itself).</summary>
    public int HeaderLength => LogRecord.FixedSize + BucketLength + KeyLength;

    /// <summary>Bytes of the whole record.</summary>
    public long TotalLength => (long)HeaderLength + ValueLength;
}

/// <summary>
/// The record format of the log engine's data files (format version 1), little-endian:
/// <code>
///  0  u32  CRC-32C of bytes 4 .. end of key (the rest of the header, bucket and key)
///  4  u8   kind (<see cref="LogRecordKind"/>)
///  5  u8   record format version (1)
///  6  u16  reserved, zero
///  8  u64  sequence number (monotonic across the store; merges keep it)
/// 16  i32  partition
/// 20  i32  bucket length, UTF-8 bytes
/// 24  i32  key length, UTF-8 bytes
/// 28  i32  value length
/// 32  u32  CRC-32C of the value bytes
/// 36  bucket, key, then the value (the encoded sibling set)
/// </code>
/// The header checksum covers the sequence number, so it is set last, once the writer has numbered the record
/// (<see cref="Seal"/>). CRC-32C is <see cref="BlobChecksum"/>, the SQLite engine's.
/// </summary>
internal static class LogRecord
{
    public const int FixedSize = 36;
    public const byte FormatVersion = 1;

    /// <summary>Largest bucket and key accepted when a header is read back (anything larger is damage, not data).</summary>
    public const int MaxBucketBytes = 64 * 1024, MaxKeyBytes = KeySlot.MaxKeyBytes;

    /// <summary>Largest record (it is read into one array).</summary>
    public const int MaxRecordBytes = int.MaxValue - 1024;

    /// <summary>A record with everything but its sequence number and header checksum (see <see cref="Seal"/>).</summary>
    public static byte[] Encode(LogRecordKind kind, int partition, string bucket, string key, ReadOnlySpan<byte> value)
    {
        var record = Allocate(kind, partition, bucket, key, value.Length, out int valueStart);
        value.CopyTo(record.AsSpan(valueStart));
        SetValueCrc(record, valueStart);
        return record;
    }

    /// <summary>A put record of <paramref name="siblings"/>, the set encoded in place (no copy of its encoding is made).</summary>
    public static byte[] EncodePut(int partition, string bucket, string key, SiblingSet siblings, out int valueLength)
    {
        valueLength = VersionCodec.EncodedLength(siblings);
        var record = Allocate(LogRecordKind.Put, partition, bucket, key, valueLength, out int valueStart);
        VersionCodec.EncodeSiblingSet(siblings, record.AsSpan(valueStart, valueLength));
        SetValueCrc(record, valueStart);
        return record;
    }

    private static byte[] Allocate(LogRecordKind kind, int partition, string bucket, string key, int valueLength, out int valueStart)
    {
        int bucketLength = System.Text.Encoding.UTF8.GetByteCount(bucket);
        int keyLength = System.Text.Encoding.UTF8.GetByteCount(key);
        valueStart = FixedSize + bucketLength + keyLength;
        var record = new byte[valueStart + valueLength];
        var span = record.AsSpan();
        span[4] = (byte)kind;
        span[5] = FormatVersion;
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], partition);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], bucketLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], valueLength);
        System.Text.Encoding.UTF8.GetBytes(bucket, span[FixedSize..]);
        System.Text.Encoding.UTF8.GetBytes(key, span[(FixedSize + bucketLength)..]);
        return record;
    }

    private static void SetValueCrc(byte[] record, int valueStart) =>
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(32), Crc(record.AsSpan(valueStart)));

    /// <summary>A drop-partition record (no bucket, key or value), not yet sealed.</summary>
    public static byte[] EncodeDrop(int partition) => Encode(LogRecordKind.DropPartition, partition, "", "", default);

    /// <summary>Numbers the record and sets its header checksum.</summary>
    public static void Seal(Span<byte> record, long seq)
    {
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], seq);
        int headerLength = FixedSize + BinaryPrimitives.ReadInt32LittleEndian(record[20..]) + BinaryPrimitives.ReadInt32LittleEndian(record[24..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record, Crc(record[4..headerLength]));
    }

    /// <summary>
    /// Reads the fixed header and checks that it could be one (known kind and version, zero reserved bytes, lengths in
    /// range and within <paramref name="available"/> bytes from its start). Says nothing of the checksum: see
    /// <see cref="HeaderCrcMatches"/>. False: these bytes are not a record header.
    /// </summary>
    public static bool TryReadFixed(ReadOnlySpan<byte> bytes, long available, out LogRecordHeader header)
    {
        header = default;
        if (bytes.Length < FixedSize) return false;
        byte kind = bytes[4];
        if (kind is < (byte)LogRecordKind.Put or > (byte)LogRecordKind.DropPartition) return false;
        if (bytes[5] != FormatVersion || bytes[6] != 0 || bytes[7] != 0) return false;
        long seq = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]);
        int partition = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        int bucketLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[24..]);
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[28..]);
        if (seq <= 0) return false;
        if (bucketLength is < 0 or > MaxBucketBytes || keyLength is < 0 or > MaxKeyBytes || valueLength < 0) return false;
        header = new LogRecordHeader((LogRecordKind)kind, seq, partition, bucketLength, keyLength, valueLength,
            BinaryPrimitives.ReadUInt32LittleEndian(bytes[32..]));
        if (header.Kind != LogRecordKind.Put && valueLength != 0) return false;
        return header.TotalLength <= available && header.TotalLength <= MaxRecordBytes;
    }

    /// <summary>Whether the header checksum matches; <paramref name="header"/> spans the fixed header, bucket and key.</summary>
    public static bool HeaderCrcMatches(ReadOnlySpan<byte> header) =>
        BinaryPrimitives.ReadUInt32LittleEndian(header) == Crc(header[4..]);

    public static uint Crc(ReadOnlySpan<byte> bytes) => (uint)BlobChecksum.Compute(default, bytes);
}
