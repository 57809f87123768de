using Microsoft.Win32.SafeHandles;

namespace OrleansDynamo.Storage.Log;

/// <summary>
/// One data file under <c>values/</c>: its handle, length, the bytes of it the key directory still points at, and a
/// reference count so a merge can retire it while reads are in flight. The store holds one reference from open until
/// the file is retired; a reader takes one (<see cref="TryAcquire"/>) while it still holds the lock of the partition
/// whose directory pointed it here, and gives it back after its positional read. The handle is closed when the count
/// reaches zero, so no read ever meets a closed handle.
/// </summary>
internal sealed class DataFile
{
    private int _refs = 1;
    private int _retired;
    private long _length;
    private long _liveBytes;

    public DataFile(int id, DataFileKind kind, string path, SafeFileHandle handle, long length)
    {
        Id = id;
        Kind = kind;
        Path = path;
        Handle = handle;
        _length = length;
    }

    public int Id { get; }

    public DataFileKind Kind { get; }

    /// <summary>Where the file is (a merge output is renamed from <c>.merge</c> to <c>.data</c> when its merge commits).</summary>
    public string Path { get; set; }

    public SafeFileHandle Handle { get; }

    /// <summary>Bytes written and kept (the next record goes here).</summary>
    public long Length
    {
        get => Volatile.Read(ref _length);
        set => Volatile.Write(ref _length, value);
    }

    /// <summary>Bytes of the records the key directory points at.</summary>
    public long LiveBytes => Volatile.Read(ref _liveBytes);

    /// <summary>Bytes no key points at any more (overwritten, removed or dropped records, tombstones, drop records).</summary>
    public long DeadBytes => Math.Max(0, Length - DataFileHeader.Size - LiveBytes);

    public void AddLive(long bytes) => Interlocked.Add(ref _liveBytes, bytes);

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Takes a reference for a read; false once the file is retired and every reader is gone.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int refs = Volatile.Read(ref _refs);
            if (refs == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, refs + 1, refs) == refs) return true;
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) Handle.Dispose();
    }

    /// <summary>Gives back the store's reference (once): the handle closes as soon as no read holds the file.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0) Release();
    }

    /// <summary>Reads up to <paramref name="buffer"/>'s length at <paramref name="offset"/>; fewer bytes only at the end of the file.</summary>
    public int ReadAt(Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(Handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public override string ToString() => Path;
}
