using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// The folder <c>values/</c> and the data files open in it, by id. Names: <c>000001.data</c> (a write file or a
/// committed merge output), <c>000007.merge</c> (a merge output not committed yet) and <c>merge-000007.commit</c> (a
/// merge's commit record, see <see cref="MergeCommit"/>). Ids are handed out in increasing order and never reused.
/// </summary>
internal sealed class DataFiles
{
    public const string DataExtension = ".data";
    public const string MergeExtension = ".merge";

    private readonly ConcurrentDictionary<int, DataFile> _files = new();
    private int _lastId;

    public DataFiles(string directory, int lastId)
    {
        Directory = directory;
        _lastId = lastId;
    }

    public string Directory { get; }

    /// <summary>
    /// <c>values/LOCK</c>, held open exclusively (an advisory lock) while the store is open, so a second store on the same
    /// directory, in this process or another, is refused instead of appending to the same files.
    /// </summary>
    public SafeFileHandle? DirectoryLock { get; set; }

    public string PathOf(int id, string extension) =>
        System.IO.Path.Combine(Directory, id.ToString("D6", CultureInfo.InvariantCulture) + extension);

    /// <summary>The id in a name like <c>000012.data</c>.</summary>
    public static bool TryParseId(string fileName, string extension, out int id)
    {
        id = 0;
        return fileName.EndsWith(extension, StringComparison.Ordinal)
            && int.TryParse(fileName.AsSpan(0, fileName.Length - extension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id)
            && id > 0;
    }

    /// <summary>An id no file has had (a merge names its commit record with one).</summary>
    /// <exception cref="StorageUnavailableException">every id a key directory slot can hold was handed out.</exception>
    public int AllocateId()
    {
        int id = Interlocked.Increment(ref _lastId);
        if (id > KeySlot.MaxFileId)
        {
            throw LogErrors.Unavailable(Directory,
                $"data file ids are used up (the last possible is {KeySlot.MaxFileId}); start the silo on an empty data directory and let anti-entropy refill it");
        }
        return id;
    }

    public DataFile? Get(int id) => _files.GetValueOrDefault(id);

    /// <summary>
    /// A reference to file <paramref name="id"/> for a read (give it back with <see cref="DataFile.Release"/>). Called
    /// under the lock of the partition whose directory names the file, so the file cannot have been retired yet; only a
    /// disposed store finds it gone.
    /// </summary>
    public DataFile Acquire(int id)
    {
        if (_files.TryGetValue(id, out var file) && file.TryAcquire()) return file;
        throw new ObjectDisposedException(nameof(LogPartitionStore), $"data file {PathOf(id, DataExtension)} is closed");
    }

    /// <summary>Every open file, by id.</summary>
    public List<DataFile> Snapshot()
    {
        var list = _files.Values.ToList();
        list.Sort((a, b) => a.Id.CompareTo(b.Id));
        return list;
    }

    public void Add(DataFile file) => _files[file.Id] = file;

    /// <summary>Forgets a file and retires it: its handle closes once no read holds it.</summary>
    public void Retire(DataFile file)
    {
        _files.TryRemove(file.Id, out _);
        file.Retire();
    }

    /// <summary>Retires every file and lets go of the directory lock (the store is closing).</summary>
    public void Close()
    {
        foreach (var file in _files.Values) Retire(file);
        DirectoryLock?.Dispose();
    }

    /// <summary>
    /// Creates the next file with its header, synced with the directory entry, and adds it. A write file is named
    /// <c>.data</c> at once; a merge output <c>.merge</c> until its merge commits.
    /// </summary>
    /// <exception cref="StorageFullException">the disk is full; nothing is left behind.</exception>
    public DataFile Create(DataFileKind kind, long baseSeq)
    {
        int id = AllocateId();
        string path = PathOf(id, kind == DataFileKind.Write ? DataExtension : MergeExtension);
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            RandomAccess.Write(handle, new DataFileHeader(kind, baseSeq).Encode(), 0);
            RandomAccess.FlushToDisk(handle);
            DirectorySync.Flush(Directory);
        }
        catch (Exception e)
        {
            handle.Dispose();
            TryDelete(path);
            throw LogErrors.Translate(path, e);
        }
        var file = new DataFile(id, kind, path, handle, DataFileHeader.Size);
        Add(file);
        return file;
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left behind: an uncommitted merge output is deleted at the next open.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
