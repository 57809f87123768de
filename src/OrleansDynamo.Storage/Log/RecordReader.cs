namespace OrleansDynamo.Storage.Log;

/// <summary>What <see cref="RecordReader.Read"/> found at its offset.</summary>
internal enum RecordStep
{
    /// <summary>A whole record whose header checksum (and value checksum, when asked) matches.</summary>
    Ok,

    /// <summary>The offset is the end of the range.</summary>
    End,

    /// <summary>Fewer bytes remain than a header, or than the record's header says.</summary>
    Short,

    /// <summary>The bytes are not a header (a field out of range) or its checksum does not match.</summary>
    BadHeader,

    /// <summary>A good header whose value bytes do not match the value checksum.</summary>
    BadValue,
}

/// <summary>
/// Walks the records of a data file in order through one buffer (1 MiB, grown for a bigger record): recovery replays
/// with it, a merge copies with it. Spans it returns (<see cref="Bucket"/>, <see cref="Key"/>, <see cref="Record"/>) point
/// into the buffer and are valid until the next call of any method, <see cref="LoadRecord"/> included: loading may move
/// the buffer.
/// </summary>
internal sealed class RecordReader(DataFile file, long start, long end, int bufferBytes = RecordReader.DefaultBufferBytes)
{
    public const int DefaultBufferBytes = 1024 * 1024;

    private byte[] _buffer = new byte[bufferBytes];
    private long _bufferStart;
    private int _bufferLength;

    public DataFile File => file;

    /// <summary>Where the record <see cref="Read"/> looks at starts.</summary>
    public long Offset { get; private set; } = start;

    public long End => end;

    /// <summary>Bytes read from the file so far (for pacing).</summary>
    public long BytesRead { get; private set; }

    /// <summary>The header of the record found by the last <see cref="Read"/> (when it was Ok or BadValue).</summary>
    public LogRecordHeader Header { get; private set; }

    public ReadOnlySpan<byte> Bucket => Slice(LogRecord.FixedSize, Header.BucketLength);

    public ReadOnlySpan<byte> Key => Slice(LogRecord.FixedSize + Header.BucketLength, Header.KeyLength);

    /// <summary>The whole record, as stored.</summary>
    public ReadOnlySpan<byte> Record => Slice(0, (int)Header.TotalLength);

    /// <summary>Reads the record at <see cref="Offset"/>; <see cref="Advance"/> moves past it.</summary>
    public RecordStep Read(bool verifyValue) => ReadAt(Offset, verifyValue);

    /// <summary>Moves <see cref="Offset"/> past the record last read.</summary>
    public void Advance() => Offset += Header.TotalLength;

    /// <summary>Moves <see cref="Offset"/> to <paramref name="offset"/>.</summary>
    public void Seek(long offset) => Offset = offset;

    /// <summary>
    /// Whether a whole, good record (both checksums) starts anywhere after <paramref name="from"/>: recovery's test for
    /// whether bad bytes are a torn tail (nothing good follows) or damage in the middle (something does).
    /// </summary>
    public bool AnyGoodRecordAfter(long from)
    {
        long saved = Offset;
        try
        {
            for (long at = from + 1; at + LogRecord.FixedSize <= end; at++)
            {
                if (ReadAt(at, verifyValue: true) == RecordStep.Ok) return true;
            }
            return false;
        }
        finally
        {
            Offset = saved;
        }
    }

    private RecordStep ReadAt(long offset, bool verifyValue)
    {
        Offset = offset;
        if (offset == end) return RecordStep.End;
        if (!Ensure(offset, LogRecord.FixedSize)) return RecordStep.Short;
        var fixedBytes = _buffer.AsSpan((int)(offset - _bufferStart), LogRecord.FixedSize);
        if (!LogRecord.TryReadFixed(fixedBytes, long.MaxValue, out var header)) return RecordStep.BadHeader;
        Header = header;
        if (offset + header.TotalLength > end)
        {
            // The lengths may be damage rather than a record cut short: the checksum tells when the key is there to check.
            return offset + header.HeaderLength <= end && Ensure(offset, header.HeaderLength) && !LogRecord.HeaderCrcMatches(Slice(0, header.HeaderLength))
                ? RecordStep.BadHeader
                : RecordStep.Short;
        }
        if (!Ensure(offset, header.HeaderLength)) return RecordStep.Short;
        if (!LogRecord.HeaderCrcMatches(Slice(0, header.HeaderLength))) return RecordStep.BadHeader;
        if (!verifyValue || header.ValueLength == 0 && header.ValueCrc == 0) return RecordStep.Ok;
        if (!Ensure(offset, (int)header.TotalLength)) return RecordStep.Short;
        return LogRecord.Crc(Slice(header.HeaderLength, header.ValueLength)) == header.ValueCrc ? RecordStep.Ok : RecordStep.BadValue;
    }

    /// <summary>Loads the whole record last read (for its value or a copy); false when the file ends first.</summary>
    public bool LoadRecord() => Ensure(Offset, (int)Header.TotalLength);

    private ReadOnlySpan<byte> Slice(int at, int length) => _buffer.AsSpan((int)(Offset - _bufferStart) + at, length);

    /// <summary>Makes the buffer hold bytes [offset, offset + count) of the file; false when the range ends first.</summary>
    private bool Ensure(long offset, int count)
    {
        if (offset + count > end) return false;
        if (offset >= _bufferStart && offset + count <= _bufferStart + _bufferLength) return true;
        if (count > _buffer.Length) _buffer = new byte[Math.Max(count, _buffer.Length * 2)];
        int want = (int)Math.Min(_buffer.Length, end - offset);
        int n = file.ReadAt(_buffer.AsSpan(0, want), offset);
        BytesRead += n;
        _bufferStart = offset;
        _bufferLength = n;
        return n >= count;
    }
}
