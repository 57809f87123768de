using System.Buffers;
using System.Buffers.Binary;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage.Log;

/// <summary>A key's record as read back: its sibling set, or the value bytes as found and why they do not decode.</summary>
internal readonly record struct StoredRead(SiblingSet? Set, byte[] Raw, string Reason, long StoredCrc);

/// <summary>
/// Reads the record a key directory slot names with one positional read and checks it: the header checksum, that it is
/// the record the slot names (kind, sequence number, lengths: a sequence number is handed out once, and a merge's copy
/// is the same bytes), the value checksum, then the decoder. Never throws
/// for the bytes: what fails is returned with its reason, for a read to refuse and the quarantine to take.
/// </summary>
internal static class StoredRecord
{
    /// <summary>Reads under a reference taken here (the caller holds the append lock, so the slot cannot move).</summary>
    public static StoredRead Read(DataFiles files, in KeySlot slot, BucketNames buckets)
    {
        var file = files.Acquire(slot.FileId);
        try
        {
            return Read(file, slot, buckets);
        }
        finally
        {
            file.Release();
        }
    }

    public static StoredRead Read(DataFile file, in KeySlot slot, BucketNames buckets)
    {
        int length = (int)slot.RecordLength(buckets);
        int headerLength = length - slot.ValueLength;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        int n = 0;
        try
        {
            n = file.ReadAt(buffer.AsSpan(0, length), slot.Offset);
            var record = buffer.AsSpan(0, n);
            if (n < length)
            {
                var found = n > headerLength ? record[headerLength..] : [];
                return Bad(found, $"the record is cut short: the file ends {n} bytes into its {length}");
            }
            var value = record.Slice(headerLength, slot.ValueLength);
            if (!LogRecord.TryReadFixed(record, length, out var header) || header.HeaderLength != headerLength
                || !LogRecord.HeaderCrcMatches(record[..headerLength]))
            {
                return Bad(value, "the record header's checksum does not match");
            }
            if (header.Kind != LogRecordKind.Put || header.Seq != slot.Seq || header.ValueLength != slot.ValueLength
                || header.KeyLength != slot.KeyLength)
            {
                return Bad(value, "the record there is not the one the key directory names");
            }
            uint crc = LogRecord.Crc(value);
            if (crc != header.ValueCrc)
                return new StoredRead(null, value.ToArray(), $"checksum mismatch (stored {header.ValueCrc:x8}, computed {crc:x8})", header.ValueCrc);
            if (!StoredBlob.TryDecode(value, out var set, out string reason)) return new StoredRead(null, value.ToArray(), reason, header.ValueCrc);
            return new StoredRead(set, [], "", header.ValueCrc);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        StoredRead Bad(ReadOnlySpan<byte> found, string reason)
        {
            long storedCrc = n >= LogRecord.FixedSize ? BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(32)) : 0;
            return new StoredRead(null, found.ToArray(), reason, storedCrc);
        }
    }
}
