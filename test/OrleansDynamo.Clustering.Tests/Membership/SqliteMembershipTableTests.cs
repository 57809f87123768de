using System.Net;
using Microsoft.Data.Sqlite;
using Orleans;
using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;

namespace OrleansDynamo.Clustering.Tests.Membership;

/// <summary>The conformance suite on <see cref="SqliteMembershipTable"/>, each instance with its own database object on one file, plus what is particular to the file.</summary>
public sealed class SqliteMembershipTableTests : MembershipTableConformance, IDisposable
{
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();

    private string FilePath => _directory.File("cluster.db");

    protected override async Task<IMembershipTable> CreateTableInstanceAsync(string clusterId)
    {
        var table = new SqliteMembershipTable(new SqliteClusteringDatabase(FilePath, BusyTimeout), clusterId);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void The_file_is_in_WAL_mode()
    {
        using var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)command.ExecuteScalar());
    }

    [Fact]
    public async Task Every_field_round_trips_exactly()
    {
        var entry = NewEntry(SiloAddress.New(IPAddress.Parse("::1"), 40000, 12345), SiloStatus.ShuttingDown);
        entry.RoleName = "role";
        entry.UpdateZone = 3;
        entry.FaultZone = 7;
        entry.StartTime = new DateTime(638_000_000_000_000_123, DateTimeKind.Utc);
        entry.IAmAliveTime = new DateTime(638_000_000_000_000_456, DateTimeKind.Utc);
        var voter = SiloAddress.New(IPAddress.Parse("10.1.2.3"), 11112, 99);
        entry.SuspectTimes = [Tuple.Create(voter, new DateTime(638_000_000_000_000_789, DateTimeKind.Utc)), Tuple.Create(entry.SiloAddress, entry.StartTime)];
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));

        var stored = (await Table.ReadRowAsync(entry.SiloAddress)).Members[0].Item1;
        Assert.Equal(entry.SiloAddress, stored.SiloAddress);
        Assert.Equal(entry.SiloAddress.Generation, stored.SiloAddress.Generation);
        Assert.Equal(entry.Status, stored.Status);
        Assert.Equal(entry.ProxyPort, stored.ProxyPort);
        Assert.Equal(entry.HostName, stored.HostName);
        Assert.Equal(entry.SiloName, stored.SiloName);
        Assert.Equal(entry.RoleName, stored.RoleName);
        Assert.Equal(entry.UpdateZone, stored.UpdateZone);
        Assert.Equal(entry.FaultZone, stored.FaultZone);
        Assert.Equal(entry.StartTime.Ticks, stored.StartTime.Ticks);
        Assert.Equal(entry.IAmAliveTime.Ticks, stored.IAmAliveTime.Ticks);
        Assert.Equal(DateTimeKind.Utc, stored.IAmAliveTime.Kind);
        Assert.Equal(
            entry.SuspectTimes.Select(v => (v.Item1, v.Item2.Ticks)),
            stored.SuspectTimes!.Select(v => (v.Item1, v.Item2.Ticks)));
    }

    [Fact]
    public async Task IAmAlive_leaves_the_row_etag_alone_so_pending_swaps_still_apply()
    {
        var entry = NewEntry(status: SiloStatus.Active);
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        var read = await Table.ReadAllAsync();
        var etag = read.TryGet(entry.SiloAddress)!.Item2;

        await Table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = DateTime.UtcNow });

        Assert.Equal(etag, (await Table.ReadRowAsync(entry.SiloAddress)).Members[0].Item2);
        Assert.True(await Table.UpdateRowAsync(NewEntry(entry.SiloAddress, SiloStatus.Dead), etag, read.Version.Next()),
            "a vote prepared before the IAmAlive write");
    }

    [Fact]
    public async Task IAmAlive_for_a_silo_without_a_row_writes_nothing()
    {
        await Table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = NewEntry().SiloAddress, IAmAliveTime = DateTime.UtcNow });
        var data = await Table.ReadAllAsync();
        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
    }

    [Fact]
    public async Task Deleting_a_clusters_rows_moves_its_version_forward_not_back()
    {
        Assert.True(await Table.InsertRowAsync(NewEntry(), (await Table.ReadAllAsync()).Version.Next()));
        var before = await Table.ReadAllAsync();
        await Table.DeleteMembershipTableEntriesAsync(ClusterId);
        var after = await Table.ReadAllAsync();
        Assert.Empty(after.Members);
        Assert.True(after.Version.Version > before.Version.Version, $"version {after.Version} after delete, {before.Version} before");
        Assert.False(await Table.InsertRowAsync(NewEntry(), before.Version.Next()), "a swap prepared before the delete");
        Assert.True(await Table.InsertRowAsync(NewEntry(), after.Version.Next()));
    }

    [Fact]
    public async Task A_table_never_initialised_reads_version_zero_and_accepts_the_first_insert()
    {
        var fresh = new SqliteMembershipTable(new SqliteClusteringDatabase(_directory.File("fresh.db"), BusyTimeout), ClusterId);
        await fresh.InitializeMembershipTableAsync(tryInitTableVersion: false);
        var data = await fresh.ReadAllAsync();
        Assert.Equal(0, data.Version.Version);
        Assert.True(await fresh.InsertRowAsync(NewEntry(), data.Version.Next()));
        Assert.Equal(1, (await fresh.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task A_row_in_an_unknown_format_is_refused_with_the_file_named()
    {
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        using (var connection = new SqliteConnection($"Data Source={FilePath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE orleans_membership SET format_version = 99;";
            command.ExecuteNonQuery();
        }
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Table.ReadAllAsync());
        Assert.Contains(FilePath, error.Message);
        Assert.Contains("format version 99", error.Message);
    }

    [Fact]
    public async Task Two_files_are_two_clusters()
    {
        var elsewhere = new SqliteMembershipTable(new SqliteClusteringDatabase(_directory.File("other.db"), BusyTimeout), ClusterId);
        await elsewhere.InitializeMembershipTableAsync(true);
        Assert.True(await Table.InsertRowAsync(NewEntry(), (await Table.ReadAllAsync()).Version.Next()));
        Assert.Empty((await elsewhere.ReadAllAsync()).Members);
    }
}
