using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Orleans' reminder table in the shared SQLite file (its own table beside the membership rows),
/// kept per service id. <see cref="UpsertRow"/> writes unconditionally and returns the row's new
/// etag; <see cref="RemoveRow"/> deletes only when the etag still matches. Range reads follow
/// Orleans' ring: <c>(begin, end]</c> when begin &lt; end, otherwise the wrap-around
/// <c>hash &gt; begin OR hash &lt;= end</c> (so <c>begin == end</c> is the whole ring).
/// StartAt keeps its ticks and kind, Period its ticks: both come back exactly as written.
/// </summary>
public sealed class SqliteReminderTable : IReminderTable
{
    private const string Table = SqliteClusteringSchema.ReminderTable;
    private const string Columns = "grain_type, grain_key, reminder_name, etag, format_version, start_at_ticks, start_at_kind, period_ticks";

    private readonly SqliteClusteringDatabase _database;
    private readonly string _serviceId;

    public SqliteReminderTable(SqliteClusteringDatabase database, string serviceId)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        _database = database;
        _serviceId = serviceId;
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _database.EnsureCreatedAsync(cancellationToken);

    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken) =>
        _database.ReadAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"SELECT {Columns} FROM {Table} WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key;");
            BindGrain(command, grainId);
            return new ReminderTableData(ReadEntries(command));
        }, cancellationToken);

    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken) =>
        _database.ReadAsync((connection, transaction) =>
        {
            var range = begin < end ? "grain_hash > @begin AND grain_hash <= @end" : "(grain_hash > @begin OR grain_hash <= @end)";
            using var command = Command(connection, transaction, $"SELECT {Columns} FROM {Table} WHERE service_id = @service_id AND {range};");
            command.Parameters.AddWithValue("@begin", (long)begin);
            command.Parameters.AddWithValue("@end", (long)end);
            return new ReminderTableData(ReadEntries(command));
        }, cancellationToken);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        return _database.ReadAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"SELECT {Columns} FROM {Table} WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND reminder_name = @reminder_name;");
            BindGrain(command, grainId);
            command.Parameters.AddWithValue("@reminder_name", reminderName);
            return ReadEntries(command).SingleOrDefault();
        }, cancellationToken);
    }

    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    public Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.ReminderName);
        return _database.WriteAsync<string?>((connection, transaction) =>
        {
            var etag = SqliteClusteringDatabase.NewETag();
            using var command = Command(connection, transaction,
                $"INSERT INTO {Table} (service_id, grain_hash, {Columns}) "
                + "VALUES (@service_id, @grain_hash, @grain_type, @grain_key, @reminder_name, @etag, @format_version, @start_at_ticks, @start_at_kind, @period_ticks) "
                + "ON CONFLICT (service_id, grain_type, grain_key, reminder_name) DO UPDATE SET grain_hash = excluded.grain_hash, etag = excluded.etag, "
                + "format_version = excluded.format_version, start_at_ticks = excluded.start_at_ticks, start_at_kind = excluded.start_at_kind, period_ticks = excluded.period_ticks;");
            BindGrain(command, entry.GrainId);
            command.Parameters.AddWithValue("@grain_hash", (long)entry.GrainId.GetUniformHashCode());
            command.Parameters.AddWithValue("@reminder_name", entry.ReminderName);
            command.Parameters.AddWithValue("@etag", etag);
            command.Parameters.AddWithValue("@format_version", SqliteClusteringSchema.FormatVersion);
            command.Parameters.AddWithValue("@start_at_ticks", entry.StartAt.Ticks);
            command.Parameters.AddWithValue("@start_at_kind", (int)entry.StartAt.Kind);
            command.Parameters.AddWithValue("@period_ticks", entry.Period.Ticks);
            command.ExecuteNonQuery();
            return etag;
        }, cancellationToken);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        ArgumentNullException.ThrowIfNull(eTag);
        return _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction,
                $"DELETE FROM {Table} WHERE service_id = @service_id AND grain_type = @grain_type AND grain_key = @grain_key AND reminder_name = @reminder_name AND etag = @etag;");
            BindGrain(command, grainId);
            command.Parameters.AddWithValue("@reminder_name", reminderName);
            command.Parameters.AddWithValue("@etag", eTag);
            return command.ExecuteNonQuery() > 0;
        }, cancellationToken);
    }

    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <summary>Deletes every reminder of this service id (other service ids in the file are untouched).</summary>
    public Task TestOnlyClearTable(CancellationToken cancellationToken) =>
        _database.WriteAsync((connection, transaction) =>
        {
            using var command = Command(connection, transaction, $"DELETE FROM {Table} WHERE service_id = @service_id;");
            return command.ExecuteNonQuery();
        }, cancellationToken);

    private SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("@service_id", _serviceId);
        return command;
    }

    private static void BindGrain(SqliteCommand command, GrainId grainId)
    {
        command.Parameters.AddWithValue("@grain_type", grainId.Type.AsSpan().ToArray());
        command.Parameters.AddWithValue("@grain_key", grainId.Key.AsSpan().ToArray());
    }

    private List<ReminderEntry> ReadEntries(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var entries = new List<ReminderEntry>();
        while (reader.Read())
        {
            SqliteClusteringSchema.CheckFormat(reader.GetInt64(4), Table, _database.Path);
            var kind = (DateTimeKind)reader.GetInt32(6);
            if (!Enum.IsDefined(kind)) throw new InvalidDataException($"clustering file '{_database.Path}': a reminder's start_at_kind is {(int)kind}");
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Create(new GrainType((byte[])reader.GetValue(0)), new IdSpan((byte[])reader.GetValue(1))),
                ReminderName = reader.GetString(2),
                ETag = reader.GetString(3),
                StartAt = new DateTime(reader.GetInt64(5), kind),
                Period = TimeSpan.FromTicks(reader.GetInt64(7)),
            });
        }
        return entries;
    }
}
