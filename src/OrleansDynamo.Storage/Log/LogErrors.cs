namespace OrleansDynamo.Storage.Log;

/// <summary>The exceptions the log engine raises, worded as the SQLite engine's are, each naming the file or directory.</summary>
internal static class LogErrors
{
    /// <summary>ENOSPC and EDQUOT, as .NET reports them on Unix (the errno is the HResult).</summary>
    public static bool IsDiskFull(Exception e) => e is IOException { HResult: 28 or 122 } || e.HResult == unchecked((int)0x80070070);

    public static StorageFullException Full(string path, Exception inner) => new(
        $"the disk of data file {path} is full ({inner.Message}); the write was not stored, and writes go on once space is freed", inner);

    public static StorageCorruptedException Corrupted(string path, long offset, string what, Exception? inner = null) =>
        new($"storage file '{path}' is damaged or not an OrleansDynamo store: at offset {offset}: {what}", inner);

    public static StorageCorruptedException Corrupted(string path, string what, Exception? inner = null) =>
        new($"storage file '{path}' is damaged or not an OrleansDynamo store: {what}", inner);

    public static StorageUnavailableException Unavailable(string path, string reason, Exception? inner = null) =>
        new($"data directory '{path}' cannot be read or written: {reason}", inner);

    /// <summary>What a failed write becomes: a full disk is <see cref="StorageFullException"/>; anything else stays as it is.</summary>
    public static Exception Translate(string path, Exception e) => IsDiskFull(e) ? Full(path, e) : e;
}
