using System.Text.Json;
using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// How a <see cref="MembershipEntry"/> is laid out in a row of <see cref="SqliteClusteringSchema.MembershipTable"/>
/// (format version <see cref="SqliteClusteringSchema.FormatVersion"/>): the silo address as
/// <see cref="SiloAddress.ToParsableString"/>, times as UTC ticks, the status as its number, and the
/// suspect list as a JSON array of <c>{"silo": address, "ticks": utc ticks}</c>.
/// </summary>
internal static class MembershipRowFormat
{
    /// <summary>The row's columns, in the order <see cref="Read"/> expects them.</summary>
    public const string Columns =
        "silo_address, etag, format_version, status, proxy_port, host_name, silo_name, role_name, update_zone, fault_zone, start_time, i_am_alive_time, suspect_times";

    /// <summary>Parameter names matching <see cref="Columns"/> after the etag and format version.</summary>
    public const string InsertValues =
        "@silo_address, @etag, @format_version, @status, @proxy_port, @host_name, @silo_name, @role_name, @update_zone, @fault_zone, @start_time, @i_am_alive_time, @suspect_times";

    /// <summary>The SET list of a full update (every column but the key).</summary>
    public const string UpdateAssignments =
        "etag = @etag, format_version = @format_version, status = @status, proxy_port = @proxy_port, host_name = @host_name, silo_name = @silo_name, role_name = @role_name, "
        + "update_zone = @update_zone, fault_zone = @fault_zone, start_time = @start_time, i_am_alive_time = @i_am_alive_time, suspect_times = @suspect_times";

    private const string SuspectSilo = "silo";
    private const string SuspectTicks = "ticks";

    /// <summary>Binds every column of <paramref name="entry"/> (and the new etag) to the command's parameters.</summary>
    public static void Bind(SqliteCommand command, MembershipEntry entry, string etag)
    {
        command.Parameters.AddWithValue("@silo_address", Key(entry.SiloAddress));
        command.Parameters.AddWithValue("@etag", etag);
        command.Parameters.AddWithValue("@format_version", SqliteClusteringSchema.FormatVersion);
        command.Parameters.AddWithValue("@status", (int)entry.Status);
        command.Parameters.AddWithValue("@proxy_port", entry.ProxyPort);
        command.Parameters.AddWithValue("@host_name", entry.HostName ?? string.Empty);
        command.Parameters.AddWithValue("@silo_name", entry.SiloName ?? string.Empty);
        command.Parameters.AddWithValue("@role_name", (object?)entry.RoleName ?? DBNull.Value);
        command.Parameters.AddWithValue("@update_zone", entry.UpdateZone);
        command.Parameters.AddWithValue("@fault_zone", entry.FaultZone);
        command.Parameters.AddWithValue("@start_time", UtcTicks(entry.StartTime));
        command.Parameters.AddWithValue("@i_am_alive_time", UtcTicks(entry.IAmAliveTime));
        command.Parameters.AddWithValue("@suspect_times", (object?)WriteSuspectTimes(entry.SuspectTimes) ?? DBNull.Value);
    }

    /// <summary>The row key of a silo: its address with generation.</summary>
    public static string Key(SiloAddress silo) => silo.ToParsableString();

    /// <summary>A time as UTC ticks (a local time is converted; an unspecified one is taken as UTC, as Orleans writes UTC).</summary>
    public static long UtcTicks(DateTime time) => time.Kind == DateTimeKind.Local ? time.ToUniversalTime().Ticks : time.Ticks;

    /// <summary>Reads an entry and its etag from a row selected with <see cref="Columns"/>.</summary>
    public static Tuple<MembershipEntry, string> Read(SqliteDataReader reader, string path)
    {
        SqliteClusteringSchema.CheckFormat(reader.GetInt64(2), SqliteClusteringSchema.MembershipTable, path);
        var entry = new MembershipEntry
        {
            SiloAddress = SiloAddress.FromParsableString(reader.GetString(0)),
            Status = (SiloStatus)reader.GetInt32(3),
            ProxyPort = reader.GetInt32(4),
            HostName = reader.GetString(5),
            SiloName = reader.GetString(6),
            RoleName = reader.IsDBNull(7) ? null : reader.GetString(7),
            UpdateZone = reader.GetInt32(8),
            FaultZone = reader.GetInt32(9),
            StartTime = new DateTime(reader.GetInt64(10), DateTimeKind.Utc),
            IAmAliveTime = new DateTime(reader.GetInt64(11), DateTimeKind.Utc),
            SuspectTimes = reader.IsDBNull(12) ? null : ReadSuspectTimes(reader.GetString(12)),
        };
        return Tuple.Create(entry, reader.GetString(1));
    }

    private static string? WriteSuspectTimes(List<Tuple<SiloAddress, DateTime>>? suspectTimes)
    {
        if (suspectTimes is null) return null;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (silo, time) in suspectTimes)
            {
                writer.WriteStartObject();
                writer.WriteString(SuspectSilo, silo.ToParsableString());
                writer.WriteNumber(SuspectTicks, UtcTicks(time));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static List<Tuple<SiloAddress, DateTime>> ReadSuspectTimes(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = new List<Tuple<SiloAddress, DateTime>>(document.RootElement.GetArrayLength());
        foreach (var vote in document.RootElement.EnumerateArray())
        {
            var silo = SiloAddress.FromParsableString(vote.GetProperty(SuspectSilo).GetString()
                ?? throw new InvalidDataException($"suspect vote without '{SuspectSilo}': {json}"));
            var ticks = vote.GetProperty(SuspectTicks).GetInt64();
            result.Add(Tuple.Create(silo, new DateTime(ticks, DateTimeKind.Utc)));
        }
        return result;
    }
}
