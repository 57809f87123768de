namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// The tables of the shared clustering file. Each row carries a format version; a reader refuses a
/// row whose version it does not know (written by a newer build) rather than misread it.
/// Columns are only ever added; times are UTC ticks, enums their numeric values.
/// </summary>
internal static class SqliteClusteringSchema
{
    /// <summary>The row format this build writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>
    /// One row per cluster id: the table version Orleans compares and swaps. <c>etag</c> changes on
    /// every checked write; <c>version</c> only goes up.
    /// </summary>
    public const string MembershipVersionTable = "orleans_membership_version";

    /// <summary>One row per silo incarnation (address with generation) per cluster id.</summary>
    public const string MembershipTable = "orleans_membership";

    /// <summary>
    /// One row per (service id, grain, reminder name); the grain id as its type and key bytes, exactly
    /// as Orleans holds them, and its uniform hash for range reads.
    /// </summary>
    public const string ReminderTable = "orleans_reminders";

    public const string Create = $"""
        CREATE TABLE IF NOT EXISTS {MembershipVersionTable} (
            cluster_id TEXT NOT NULL PRIMARY KEY,
            version INTEGER NOT NULL,
            etag TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS {MembershipTable} (
            cluster_id TEXT NOT NULL,
            silo_address TEXT NOT NULL,
            etag TEXT NOT NULL,
            format_version INTEGER NOT NULL,
            status INTEGER NOT NULL,
            proxy_port INTEGER NOT NULL,
            host_name TEXT NOT NULL,
            silo_name TEXT NOT NULL,
            role_name TEXT NULL,
            update_zone INTEGER NOT NULL,
            fault_zone INTEGER NOT NULL,
            start_time INTEGER NOT NULL,
            i_am_alive_time INTEGER NOT NULL,
            suspect_times TEXT NULL,
            PRIMARY KEY (cluster_id, silo_address)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS {ReminderTable} (
            service_id TEXT NOT NULL,
            grain_type BLOB NOT NULL,
            grain_key BLOB NOT NULL,
            reminder_name TEXT NOT NULL,
            grain_hash INTEGER NOT NULL,
            etag TEXT NOT NULL,
            format_version INTEGER NOT NULL,
            start_at_ticks INTEGER NOT NULL,
            start_at_kind INTEGER NOT NULL,
            period_ticks INTEGER NOT NULL,
            PRIMARY KEY (service_id, grain_type, grain_key, reminder_name)
        ) WITHOUT ROWID;

        CREATE INDEX IF NOT EXISTS {ReminderTable}_by_hash ON {ReminderTable} (service_id, grain_hash);
        """;

    /// <summary>Throws when a row was written in a format this build cannot read.</summary>
    public static void CheckFormat(long formatVersion, string table, string path)
    {
        if (formatVersion != FormatVersion)
            throw new InvalidDataException(
                $"clustering file '{path}': a row of {table} has format version {formatVersion}; this build reads only {FormatVersion} (was it written by a newer OrleansDynamo?)");
    }
}
