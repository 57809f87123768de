using System.Diagnostics;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// One merge (Bitcask's compaction): rewrites the live records of every closed file into new files and deletes the old
/// ones.
/// <para><b>Why every closed file.</b> Tombstones and drop records are not copied. That is safe only because a merge
/// covers every file but the active one: a tombstone (or drop) hides records with lower sequence numbers, and every such
/// record is in a closed file (the active file holds only numbers higher than any closed file's, merge outputs being
/// closed files themselves). So the records a dropped tombstone hid are in the merge's inputs too, are not copied either
/// (the key directory does not point at them), and are deleted with it: none can come back at the next open. A merge
/// over only some closed files could delete a tombstone and keep the record it hid.</para>
/// <para><b>Steps.</b> Each input is walked in pages of 1 MiB, paced to <see cref="LogStoreOptions.MergeBytesPerSecond"/> and
/// to the host's <see cref="LogStoreOptions.MergePacer"/> (each page enters it, and rests after as its pace asks).
/// A put record the directory still points at is copied as it is (same sequence number, same bytes) into the current
/// output (<c>.merge</c>, cut at <see cref="LogStoreOptions.FileSizeBytes"/>). After each page is written, each copied
/// key is swapped to its copy with a compare-and-swap under its partition's lock: only if the directory still points at
/// the old record (a key written, removed or dropped meanwhile keeps its newer state, and its copy is dead). Then the
/// outputs are synced, the commit record written (<see cref="MergeCommit"/>: the merge's one atomic step), the outputs
/// renamed to <c>.data</c>, and the inputs retired (their handles close once no read holds them) and deleted.</para>
/// <para>Before it commits, the merge checks that no key still points into its inputs (a scan of the directory, some
/// milliseconds a million keys): a key it failed to move would be left pointing at a deleted file.</para>
/// <para><b>Failure</b> (a full disk, damage found in an input, a key left behind, the store closing): nothing is
/// deleted. Keys already swapped read their copies from the uncommitted outputs, which stay open as closed files until a
/// later merge takes them in; at the next open they are deleted and the inputs, still complete, are replayed.</para>
/// </summary>
internal sealed class MergeRun(DataFiles files, KeyDirectory keys, long fileSizeBytes, long bytesPerSecond, IBackgroundPacer? pacer, CancellationToken cancellation)
{
    private const int PageBytes = 1024 * 1024;

    private readonly List<DataFile> _outputs = [];
    private readonly List<Swap> _swaps = [];
    private byte[] _batch = new byte[PageBytes];
    private int _batchLength;
    private DataFile? _output;
    private long _bytesRead;
    private long _pacedAt;
    private long _bytesWritten;
    private long _copied;
    private long _started;
    private IDisposable? _unit;
    private long _unitStarted;

    /// <summary>A copied key waiting for its page to be written: the key, where its record was and where the copy is.</summary>
    private readonly record struct Swap(int Partition, ulong High, ulong Low, int Bucket, byte[] Key, long From, long To, int Length);

    public LogMergeResult Run(List<DataFile> inputs)
    {
        _started = Stopwatch.GetTimestamp();
        try
        {
            foreach (var input in inputs) Copy(input);
            WriteBatch();
            EndUnit();
            CheckNothingLeftIn(inputs);
            foreach (var output in _outputs) RandomAccess.FlushToDisk(output.Handle);
        }
        catch
        {
            // Not committed: the inputs stay; outputs stay open (keys may read their copies) and are deleted at the next open.
            if (_output is not null) TryCutToLength(_output);
            throw;
        }
        finally
        {
            EndUnit();
        }
        Commit(inputs);
        long inputBytes = inputs.Sum(f => f.Length);
        long outputBytes = _outputs.Sum(f => f.Length);
        return new LogMergeResult(inputs.Count, _outputs.Count, _copied, _bytesRead, _bytesWritten, inputBytes - outputBytes);
    }

    private void Copy(DataFile input)
    {
        var reader = new RecordReader(input, DataFileHeader.Size, input.Length, PageBytes);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            BeginUnit();
            var step = reader.Read(verifyValue: false);
            if (step == RecordStep.End) break;
            if (step != RecordStep.Ok) throw LogErrors.Corrupted(input.Path, reader.Offset, $"a merge found a bad record ({step})");
            var header = reader.Header;
            if (header.Kind == LogRecordKind.Put && keys.Find(header.Partition) is { } partition)
            {
                // Load the whole record first: loading may move the buffer, and the probe's key is a span into it.
                if (!reader.LoadRecord()) throw LogErrors.Corrupted(input.Path, reader.Offset, "a merge found the file shorter than its records");
                var probe = KeyProbe.OfRecord(keys.Buckets, reader.Bucket, reader.Key);
                long from = KeySlot.Pack(input.Id, reader.Offset);
                if (partition.PointsAt(probe, from))
                {
                    Add(reader.Record, new Swap(header.Partition, probe.HashHigh, probe.HashLow, probe.Bucket, probe.Key.ToArray(), from, 0, (int)header.TotalLength));
                }
            }
            reader.Advance();
            if (_bytesRead + reader.BytesRead - _pacedAt >= PageBytes)
            {
                _pacedAt = _bytesRead + reader.BytesRead;
                WriteBatch();
                Pace(_pacedAt, EndUnit());
            }
        }
        _bytesRead += reader.BytesRead;
    }

    /// <summary>Adds a record to the page being built, starting a new output when the current one is full.</summary>
    private void Add(ReadOnlySpan<byte> record, Swap swap)
    {
        long end = _output is null ? long.MaxValue : _output.Length + _batchLength;
        if (_output is null || end > DataFileHeader.Size && end + record.Length > fileSizeBytes)
        {
            WriteBatch();
            if (_output is not null) RandomAccess.FlushToDisk(_output.Handle);
            _output = files.Create(DataFileKind.Merge, baseSeq: 0);
            _outputs.Add(_output);
        }
        if (_batchLength + record.Length > _batch.Length)
        {
            WriteBatch();
            if (record.Length > _batch.Length) _batch = new byte[record.Length];
        }
        record.CopyTo(_batch.AsSpan(_batchLength));
        _swaps.Add(swap with { To = KeySlot.Pack(_output.Id, _output.Length + _batchLength) });
        _batchLength += record.Length;
    }

    /// <summary>Writes the page built so far, then swaps its keys to their copies where the directory still points at the originals.</summary>
    private void WriteBatch()
    {
        if (_batchLength == 0) return;
        var output = _output!;
        try
        {
            RandomAccess.Write(output.Handle, _batch.AsSpan(0, _batchLength), output.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LogErrors.Translate(output.Path, e);
        }
        output.Length += _batchLength;
        _bytesWritten += _batchLength;
        foreach (var swap in _swaps)
        {
            var probe = new KeyProbe(swap.High, swap.Low, swap.Bucket, keys.Buckets.Name(swap.Bucket), swap.Key);
            if (keys.Find(swap.Partition)?.CompareAndSwap(probe, swap.From, swap.To) != true) continue;
            files.Get((int)(swap.From >> KeySlot.OffsetBits))?.AddLive(-swap.Length);
            output.AddLive(swap.Length);
            _copied++;
        }
        _swaps.Clear();
        _batchLength = 0;
    }

    /// <summary>
    /// Every key the directory pointed into the inputs was copied and swapped, or has moved on since (nothing points a key
    /// at a closed file but a merge). A key still there would be left pointing at a deleted file: the merge does not commit.
    /// </summary>
    private void CheckNothingLeftIn(List<DataFile> inputs)
    {
        var ids = inputs.Select(f => f.Id).ToHashSet();
        int left = keys.All.Sum(p => p.Keys.CountIn(ids));
        if (left > 0)
            throw new InvalidOperationException($"a merge left {left} keys pointing into its inputs; it does not commit, and the inputs are kept");
    }

    /// <summary>A page starts: it enters the host's pacer first (which may hold it while the foreground needs the silo).</summary>
    private void BeginUnit()
    {
        if (pacer is null || _unit is not null) return;
        _unit = pacer.Enter(cancellation);
        _unitStarted = Stopwatch.GetTimestamp();
    }

    /// <summary>A page ended: leaves the pacer; returns how long the page worked since it entered.</summary>
    private TimeSpan EndUnit()
    {
        if (_unit is null) return TimeSpan.Zero;
        var worked = Stopwatch.GetElapsedTime(_unitStarted);
        _unit.Dispose();
        _unit = null;
        return worked;
    }

    /// <summary>
    /// Rests as long as <see cref="LogStoreOptions.MergeBytesPerSecond"/> asks for the bytes read so far, and at least as
    /// long as the pacer's pace asks after a page that worked <paramref name="worked"/>.
    /// </summary>
    private void Pace(long bytesRead, TimeSpan worked)
    {
        var rest = pacer is null ? TimeSpan.Zero : IBackgroundPacer.RestAfter(worked, pacer.Pace);
        if (bytesPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)bytesRead / bytesPerSecond) - Stopwatch.GetElapsedTime(_started);
            if (due > rest) rest = due;
        }
        if (rest > TimeSpan.Zero) cancellation.WaitHandle.WaitOne(rest);
    }

    private void Commit(List<DataFile> inputs)
    {
        int mergeId = files.AllocateId();
        MergeCommit.Write(files.Directory, mergeId, _outputs.Select(f => f.Id), inputs.Select(f => f.Id));
        foreach (var output in _outputs)
        {
            string data = files.PathOf(output.Id, DataFiles.DataExtension);
            File.Move(output.Path, data);
            output.Path = data;
        }
        DirectorySync.Flush(files.Directory);
        foreach (var input in inputs)
        {
            files.Retire(input);
            DataFiles.TryDelete(input.Path);
        }
        DirectorySync.Flush(files.Directory);
        MergeCommit.Remove(files.Directory, mergeId);
    }

    private static void TryCutToLength(DataFile output)
    {
        try
        {
            RandomAccess.SetLength(output.Handle, output.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The output is deleted at the next open in any case.
        }
    }
}
