using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace OrleansDynamo.Storage.Log;

/// <summary>What opening the store found and repaired.</summary>
/// <param name="Files">Data files replayed.</param>
/// <param name="Records">Records read.</param>
/// <param name="TornFile">The write file whose torn tail was cut off, if any.</param>
/// <param name="TornOffset">Where its tail was cut.</param>
/// <param name="TornBytes">Bytes cut off.</param>
/// <param name="MergesCompleted">Committed merges that a crash had interrupted, carried out at open.</param>
public sealed record LogRecoveryReport(int Files, long Records, string? TornFile, long TornOffset, long TornBytes, int MergesCompleted);

/// <summary>
/// Opens the data files and rebuilds the key directory by replaying every record. For each key the record with the
/// highest sequence number wins; a tombstone or a partition drop removes every older record of its key or partition.
/// Only sequence numbers decide, never file order, so merge outputs (which keep their records' numbers) replay right
/// in any order; tombstones met before the older records they hide are remembered while the files are replayed.
/// <para>The newest write file is the one a crash can leave torn: at the first bad record in it (shorter than its header
/// says, a header or value checksum that does not match), the bytes from there on are cut off and logged as a torn
/// append, unless a good record follows somewhere after them; then they are damage in the middle, as any bad header in
/// another file is: the file cannot be walked and the store refuses to open (<see cref="StorageCorruptedException"/>
/// naming the file and offset). A bad value checksum under a good header elsewhere is a damaged value: it stays in the
/// directory so reads refuse it and the quarantine can take it. Values of other files are not read at open (a read
/// checks them).</para>
/// <para>Deviation from "only a header mismatch in the final bytes is torn": a value checksum mismatch of the last
/// record of the newest write file is cut as torn too (its header reached the disk, its value did not), rather than
/// kept as damage that would hide the key's older record behind an unacknowledged, unreadable one.</para>
/// </summary>
internal sealed class LogRecovery
{
    private const string MarkerSuffix = ".created";
    private const string LockFile = "LOCK";

    private readonly DataFiles _files;
    private readonly KeyDirectory _keys;
    private readonly Action<string> _warn;
    private readonly Dictionary<(int Partition, ulong High, ulong Low, int Bucket, string Key), long> _tombstones = [];
    private readonly Dictionary<int, long> _drops = [];
    private long _maxSeq;
    private long _records;

    private LogRecovery(DataFiles files, KeyDirectory keys, Action<string> warn)
    {
        _files = files;
        _keys = keys;
        _warn = warn;
    }

    public sealed record Result(DataFiles Files, KeyDirectory Keys, DataFile Active, long LastSeq, LogRecoveryReport Report);

    /// <summary>Opens <paramref name="directory"/> (created when missing) and replays it.</summary>
    public static Result Open(string directory, Action<string> warn)
    {
        Directory.CreateDirectory(directory);
        var directoryLock = Lock(directory);
        try
        {
            return Open(directory, directoryLock, warn);
        }
        catch
        {
            directoryLock.Dispose();
            throw;
        }
    }

    private static SafeFileHandle Lock(string directory)
    {
        string path = Path.Combine(directory, LockFile);
        try
        {
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw LogErrors.Unavailable(directory, $"another store has it open ('{path}' is locked): {e.Message}", e);
        }
    }

    private static Result Open(string directory, SafeFileHandle directoryLock, Action<string> warn)
    {
        int merges = MergeCommit.Complete(directory, warn);
        var ids = new List<int>();
        foreach (string path in Directory.GetFiles(directory, "*" + DataFiles.DataExtension))
        {
            if (DataFiles.TryParseId(Path.GetFileName(path), DataFiles.DataExtension, out int id)) ids.Add(id);
        }
        ids.Sort();
        CheckNotLost(directory, ids.Count);
        if (ids.Count > 0 && ids[^1] > KeySlot.MaxFileId)
            throw LogErrors.Corrupted(PathOfId(directory, ids[^1]), $"its id is above the highest a data file can have ({KeySlot.MaxFileId})");
        var files = new DataFiles(directory, Math.Max(ids.Count > 0 ? ids[^1] : 0, MergeCommit.HighestId(directory)));
        var keys = new KeyDirectory();
        var recovery = new LogRecovery(files, keys, warn);
        try
        {
            var result = recovery.Replay(ids, merges);
            files.DirectoryLock = directoryLock;
            return result;
        }
        catch
        {
            files.Close();
            throw;
        }
    }

    private Result Replay(List<int> ids, int merges)
    {
        var opened = new List<(DataFile File, DataFileHeader Header)>();
        var headerless = new List<(int Id, string Path, long Length, string Problem)>();
        foreach (int id in ids)
        {
            if (Open(id) is { } found) opened.Add(found);
            else headerless.Add(Headerless(id));
        }
        int newestWriteId = opened.Where(f => f.File.Kind == DataFileKind.Write).Select(f => f.File.Id).DefaultIfEmpty(0).Max();
        foreach (var (id, path, length, problem) in headerless)
        {
            // A file created after the newest write file and shorter than a header is a rollover the crash came in the
            // middle of (its header was not synced yet): it never held a record. Anything else is damage.
            if (id < newestWriteId || length > DataFileHeader.Size) throw LogErrors.Corrupted(path, 0, problem);
            File.Delete(path);
            _warn($"deleted data file {path}: a crash came while it was being created ({length} bytes, {problem})");
        }
        DataFile? newest = opened.LastOrDefault(f => f.File.Kind == DataFileKind.Write).File;
        string? tornFile = null;
        long tornOffset = 0, tornBytes = 0;
        foreach (var (file, _) in opened)
        {
            long length = file.Length;
            long end = Walk(file, isNewestWrite: file == newest);
            if (end == length) continue;
            // A torn tail of the newest write file: cut it off, so the next append follows the last good record.
            RandomAccess.SetLength(file.Handle, end);
            RandomAccess.FlushToDisk(file.Handle);
            file.Length = end;
            (tornFile, tornOffset, tornBytes) = (file.Path, end, length - end);
            _warn($"data file {file.Path} ended in a torn record (a crash during an append): cut {length - end} bytes at offset {end}");
        }
        foreach (var (_, keys) in _keys.All)
        {
            keys.ForEach(slot => _files.Get(slot.FileId)!.AddLive(slot.RecordLength(_keys.Buckets)));
        }
        long lastSeq = Math.Max(_maxSeq, opened.Where(f => f.File == newest).Select(f => f.Header.BaseSeq - 1).DefaultIfEmpty(0).Max());
        var active = newest ?? _files.Create(DataFileKind.Write, baseSeq: lastSeq + 1);
        RecordMarker(_files.Directory);
        var report = new LogRecoveryReport(opened.Count, _records, tornFile, tornOffset, tornBytes, merges);
        return new Result(_files, _keys, active, lastSeq, report);
    }

    /// <summary>Opens one file and reads its header; null (the file closed again) when it has no good header.</summary>
    private (DataFile, DataFileHeader)? Open(int id)
    {
        string path = _files.PathOf(id, DataFiles.DataExtension);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        var bytes = new byte[DataFileHeader.Size];
        int n = RandomAccess.Read(handle, bytes, 0);
        if (!DataFileHeader.TryDecode(bytes.AsSpan(0, n), out var header, out _))
        {
            handle.Dispose();
            return null;
        }
        var file = new DataFile(id, header.Kind, path, handle, RandomAccess.GetLength(handle));
        _files.Add(file);
        return (file, header);
    }

    private (int Id, string Path, long Length, string Problem) Headerless(int id)
    {
        string path = _files.PathOf(id, DataFiles.DataExtension);
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[DataFileHeader.Size];
        int n = f.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        DataFileHeader.TryDecode(bytes.AsSpan(0, n), out _, out string problem);
        return (id, path, f.Length, problem);
    }

    /// <summary>Replays a file's records; returns where its good records end (its length unless a torn tail was found).</summary>
    private long Walk(DataFile file, bool isNewestWrite)
    {
        var reader = new RecordReader(file, DataFileHeader.Size, file.Length);
        while (true)
        {
            var step = reader.Read(verifyValue: isNewestWrite);
            switch (step)
            {
                case RecordStep.End:
                    return file.Length;
                case RecordStep.Ok:
                    Apply(reader);
                    reader.Advance();
                    continue;
            }
            long offset = reader.Offset;
            bool followed = isNewestWrite && reader.AnyGoodRecordAfter(offset);
            if (isNewestWrite && !followed) return offset;
            if (step == RecordStep.BadValue)
            {
                // A damaged value under a good header: kept, so reads refuse it and the quarantine takes it.
                reader.Seek(offset);
                reader.Read(verifyValue: false);
                Apply(reader);
                reader.Advance();
                continue;
            }
            throw LogErrors.Corrupted(file.Path, offset, step == RecordStep.Short
                ? $"the record there runs past the end of the file ({file.Length} bytes), and the file is not the newest"
                : "the record header there is not valid (damage in the middle of the file: it cannot be walked past)");
        }
    }

    private void Apply(RecordReader reader)
    {
        var h = reader.Header;
        _records++;
        _maxSeq = Math.Max(_maxSeq, h.Seq);
        switch (h.Kind)
        {
            case LogRecordKind.DropPartition:
                if (_drops.GetValueOrDefault(h.Partition) < h.Seq) _drops[h.Partition] = h.Seq;
                _keys.Find(h.Partition)?.RemoveOlderThan(h.Seq, static _ => { });
                return;
            case LogRecordKind.Delete:
            {
                var probe = KeyProbe.OfRecord(_keys.Buckets, reader.Bucket, reader.Key);
                var keys = _keys.Find(h.Partition);
                if (keys is not null && keys.TryGet(probe, out var slot))
                {
                    if (slot.Seq > h.Seq) return;
                    keys.Remove(probe, out _);
                }
                var id = TombstoneKey(h.Partition, probe);
                if (_tombstones.GetValueOrDefault(id) < h.Seq) _tombstones[id] = h.Seq;
                return;
            }
            default:
            {
                if (_drops.GetValueOrDefault(h.Partition) > h.Seq) return;
                var probe = KeyProbe.OfRecord(_keys.Buckets, reader.Bucket, reader.Key);
                var keys = _keys.GetOrAdd(h.Partition);
                if (keys.TryGet(probe, out var slot) && slot.Seq >= h.Seq) return;
                if (_tombstones.Count > 0 && _tombstones.GetValueOrDefault(TombstoneKey(h.Partition, probe)) > h.Seq) return;
                keys.Put(probe, KeySlot.Pack(reader.File.Id, reader.Offset), h.Seq, h.ValueLength, out _);
                return;
            }
        }
    }

    private static (int, ulong, ulong, int, string) TombstoneKey(int partition, in KeyProbe probe) =>
        (partition, probe.HashHigh, probe.HashLow, probe.Bucket, Encoding.UTF8.GetString(probe.Key));

    /// <summary>
    /// A directory that held a store (<c>values.created</c> beside it) but has no data file lost them (a failed copy or
    /// restore, a mistaken command): refused rather than opened empty, as <c>StoreMarker</c> does for <c>silo.db</c>.
    /// </summary>
    private static void CheckNotLost(string directory, int dataFiles)
    {
        string marker = MarkerPath(directory);
        if (dataFiles > 0 || !File.Exists(marker)) return;
        throw LogErrors.Corrupted(directory,
            $"it holds no data files, but this data directory held a store (see '{marker}'); " +
            "restore the files from a backup, or remove the data directory to start this silo empty");
    }

    private static void RecordMarker(string directory)
    {
        string marker = MarkerPath(directory);
        if (File.Exists(marker)) return;
        using var f = new FileStream(marker, FileMode.Create, FileAccess.Write, FileShare.None);
        f.Write("OrleansDynamo store: the data files in values/ hold this silo's values; do not delete them alone.\n"u8);
        f.Flush(flushToDisk: true);
        DirectorySync.Flush(Path.GetDirectoryName(marker)!);
    }

    private static string PathOfId(string directory, int id) =>
        Path.Combine(directory, id.ToString("D6", CultureInfo.InvariantCulture) + DataFiles.DataExtension);

    /// <summary>The file recording that <paramref name="directory"/> held a store: <c>values.created</c> beside it.</summary>
    public static string MarkerPath(string directory) => directory.TrimEnd(Path.DirectorySeparatorChar) + MarkerSuffix;
}
