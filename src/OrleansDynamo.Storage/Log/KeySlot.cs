namespace OrleansDynamo.Storage.Log;

/// <summary>
/// One key in the key directory, 48 bytes with no references (so the GC never scans the directory): the key hash (two
/// halves), the bucket as an interned id, where its newest record is (<see cref="Location"/>: file id and offset packed in
/// one long), its sequence number, the length of its value (the encoded sibling set), and where its UTF-8 bytes are in
/// its chunk's key arena (see <see cref="PartitionKeys"/>).
/// </summary>
internal struct KeySlot
{
    /// <summary>
    /// Offsets take the low 36 bits (64 GiB: a file is cut at most at 32 GiB and a record is under 2 GiB), file ids the 27
    /// above (134 million: ids are never reused, and a merge every two minutes of a 1 GiB store uses them up in 25 years).
    /// </summary>
    public const int OffsetBits = 36;
    public const long MaxOffset = (1L << OffsetBits) - 1;
    public const int MaxFileId = (1 << 27) - 1;

    /// <summary>Longest key the directory holds, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = ushort.MaxValue;

    public ulong HashHigh;
    public ulong HashLow;
    public long Location;
    public long Seq;
    public int ValueLength;
    public int Bucket;
    public int KeyOffset;
    public ushort KeyLength;

    public readonly int FileId => (int)(Location >> OffsetBits);

    public readonly long Offset => Location & MaxOffset;

    public static long Pack(int fileId, long offset) => (long)fileId << OffsetBits | offset;

    /// <summary>Bytes of the whole record (header, bucket, key, value).</summary>
    public readonly long RecordLength(BucketNames buckets) =>
        (long)LogRecord.FixedSize + buckets.Utf8Length(Bucket) + KeyLength + ValueLength;
}
