namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// The data directory's memory that it held a store: a small file beside <c>silo.db</c>, written once the schema
/// exists (<c>silo.db.created</c>). A <c>silo.db</c> that is missing or zero bytes long next to it was lost or
/// truncated (a failed copy or restore, a full disk, a mistaken command), and is refused at open rather than
/// replaced by an empty store, which would start a silo without its data (and, with auto-join, join it as new).
/// A directory from before this file existed gets it at its next open.
/// </summary>
internal static class StoreMarker
{
    public const string Suffix = ".created";

    public static string PathFor(string databasePath) => databasePath + Suffix;

    /// <summary>Throws when the marker says a store was here but the database file is missing or empty.</summary>
    public static void CheckNotLost(string databasePath)
    {
        string marker = PathFor(databasePath);
        if (!File.Exists(marker)) return;
        var file = new FileInfo(databasePath);
        if (file.Exists && file.Length > 0) return;
        throw SqliteSchema.Corrupted(databasePath,
            $"it is {(file.Exists ? "empty (0 bytes)" : "missing")}, but this data directory held a store (see '{marker}'); " +
            "restore the file from a backup, or remove the data directory to start this silo empty");
    }

    /// <summary>Records that the store exists (durably), once its schema is committed; no-op when recorded already.</summary>
    public static void Record(string databasePath)
    {
        string marker = PathFor(databasePath);
        if (File.Exists(marker)) return;
        using var f = new FileStream(marker, FileMode.Create, FileAccess.Write, FileShare.None);
        f.Write("OrleansDynamo store: silo.db in this directory holds data; do not delete it alone.\n"u8);
        f.Flush(flushToDisk: true);
    }
}
