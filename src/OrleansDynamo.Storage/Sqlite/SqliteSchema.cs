using System.Text;
using Microsoft.Data.Sqlite;

namespace OrleansDynamo.Storage.Sqlite;

/// <summary>
/// The on-disk layout of <c>silo.db</c> and the checks made when it is opened. The format version
/// lives in <c>PRAGMA user_version</c>; versions are only ever appended, and an unknown one is refused.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>
    /// Format 1: tables kv, hints, meta as below. Format 2 adds table hint_quarantine; a format-1 file is
    /// upgraded in place when opened. Table value_quarantine came later without a new version: older format-2
    /// builds ignore it (so a silo's binary can still be rolled back), and opening creates it where it is missing.
    /// </summary>
    public const int FormatVersion = 2;

    private static readonly string[] ObjectsV1 = ["kv", "hints", "meta", "hints_by_target"];

    private static readonly string[] Objects = [.. ObjectsV1, "hint_quarantine"];

    private const string CreateV1 = """
        CREATE TABLE kv (
          partition_id INTEGER NOT NULL,
          key_hash     BLOB    NOT NULL,
          bucket       TEXT    NOT NULL,
          key_name     TEXT    NOT NULL,
          blob         BLOB    NOT NULL,
          bytes        INTEGER NOT NULL,
          crc          INTEGER NOT NULL,
          PRIMARY KEY (partition_id, key_hash, bucket, key_name)
        );
        CREATE TABLE hints (
          id           INTEGER PRIMARY KEY AUTOINCREMENT,
          target       TEXT    NOT NULL,
          partition_id INTEGER NOT NULL,
          bucket       TEXT    NOT NULL,
          key_name     TEXT    NOT NULL,
          blob         BLOB    NOT NULL,
          created_at   INTEGER NOT NULL,
          crc          INTEGER NOT NULL
        );
        CREATE INDEX hints_by_target ON hints (target, id);
        CREATE TABLE meta (
          name TEXT PRIMARY KEY,
          blob BLOB NOT NULL,
          crc  INTEGER NOT NULL
        );
        """;

    /// <summary>Hints moved out of the log because they did not decode: the row as it was, why, and when.</summary>
    private const string AddV2 = """
        CREATE TABLE hint_quarantine (
          id             INTEGER PRIMARY KEY,
          target         TEXT    NOT NULL,
          partition_id   INTEGER NOT NULL,
          bucket         TEXT    NOT NULL,
          key_name       TEXT    NOT NULL,
          blob           BLOB    NOT NULL,
          created_at     INTEGER NOT NULL,
          crc            INTEGER NOT NULL,
          reason         TEXT    NOT NULL,
          quarantined_at INTEGER NOT NULL
        );
        PRAGMA user_version = 2;
        """;

    /// <summary>
    /// Stored values moved out of kv because they did not decode: the row as it was (any column type), why, and when.
    /// AUTOINCREMENT: an id is never reused, so a listing resumed after an id misses nothing.
    /// </summary>
    private const string AddValueQuarantine = """
        CREATE TABLE IF NOT EXISTS value_quarantine (
          id             INTEGER PRIMARY KEY AUTOINCREMENT,
          partition_id   INTEGER NOT NULL,
          key_hash       BLOB    NOT NULL,
          bucket         TEXT    NOT NULL,
          key_name       TEXT    NOT NULL,
          blob           BLOB    NOT NULL,
          bytes          INTEGER NOT NULL,
          crc            INTEGER NOT NULL,
          reason         TEXT    NOT NULL,
          quarantined_at INTEGER NOT NULL
        );
        """;

    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>SQLite error codes that mean the file is damaged or not a database.</summary>
    public static bool IsCorruption(SqliteException e) => e.SqliteErrorCode is 11 or 26; // SQLITE_CORRUPT, SQLITE_NOTADB

    public static StorageCorruptedException Corrupted(string path, string what, Exception? inner = null) =>
        new($"storage file '{path}' is damaged or not an OrleansDynamo store: {what}", inner);

    public static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
        Cache = SqliteCacheMode.Private,
    }.ToString();

    /// <summary>Checks the file header before SQLite touches it: an existing non-empty file must be SQLite's.</summary>
    public static void CheckHeader(string path)
    {
        if (!File.Exists(path)) return;
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (f.Length == 0) return;
        Span<byte> header = stackalloc byte[16];
        if (f.ReadAtLeast(header, 16, throwOnEndOfStream: false) < 16 || !header.SequenceEqual(Magic))
            throw Corrupted(path, "the file header is not SQLite's");
    }

    /// <summary>Creates the schema in an empty database, or verifies the version, objects and pages of an existing one.</summary>
    public static void CreateOrVerify(SqliteConnection connection, string path, bool quickCheck)
    {
        long version = Scalar(connection, "PRAGMA user_version;");
        var names = new HashSet<string>(StringComparer.Ordinal);
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%';";
            using var r = cmd.ExecuteReader();
            while (r.Read()) names.Add(r.GetString(0));
        }
        if (version == 0 && names.Count == 0)
        {
            Execute(connection, "BEGIN IMMEDIATE;" + CreateV1 + AddV2 + AddValueQuarantine + "COMMIT;");
            return;
        }
        if (version == 1)
        {
            RequireObjects(names, ObjectsV1, path);
            Execute(connection, "BEGIN IMMEDIATE;" + AddV2 + "COMMIT;");
            names.Add("hint_quarantine");
            version = FormatVersion;
        }
        if (version != FormatVersion)
        {
            throw Corrupted(path, version == 0
                ? "it holds tables but no OrleansDynamo format version"
                : $"format version {version} is unknown; this build reads version {FormatVersion}");
        }
        RequireObjects(names, Objects, path);
        if (quickCheck) QuickCheck(connection, path);
        if (!names.Contains("value_quarantine")) Execute(connection, AddValueQuarantine);
    }

    private static void RequireObjects(HashSet<string> names, string[] required, string path)
    {
        foreach (var name in required)
        {
            if (!names.Contains(name)) throw Corrupted(path, $"schema object '{name}' is missing");
        }
    }

    private static void QuickCheck(SqliteConnection connection, string path)
    {
        var problems = new List<string>();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA quick_check(10);";
        using var r = cmd.ExecuteReader();
        while (r.Read()) problems.Add(r.GetString(0));
        if (problems is ["ok"]) return;
        throw Corrupted(path, "quick_check found: " + string.Join("; ", problems));
    }

    public static long Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
