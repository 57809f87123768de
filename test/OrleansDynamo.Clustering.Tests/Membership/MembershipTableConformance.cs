using System.Net;
using Orleans;
using Orleans.Runtime;
using Xunit;

namespace OrleansDynamo.Clustering.Tests.Membership;

/// <summary>
/// Orleans' membership-table contract, run against every implementation: compare-and-swap on the
/// row etag and the table-version etag, atomic rows + version, a version that only goes up, an
/// unchecked IAmAlive write, defunct-row cleanup, cluster ids kept apart, and two table instances
/// over one store racing (exactly one wins each swap).
/// </summary>
public abstract class MembershipTableConformance : IAsyncLifetime
{
    private const int RaceWidth = 8;
    private const int RaceRounds = 10;
    private const int SiloPort = 11111;
    private static readonly TimeSpan DefunctAge = TimeSpan.FromDays(10);
    private static readonly TimeSpan CleanupCutoff = TimeSpan.FromDays(3);

    private readonly List<(IMembershipTable Table, string ClusterId)> _created = [];
    private int _nextGeneration = 1;

    protected string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N");

    protected IMembershipTable Table { get; private set; } = null!;

    /// <summary>A new, initialised table instance over the shared store, for <paramref name="clusterId"/>.</summary>
    protected abstract Task<IMembershipTable> CreateTableInstanceAsync(string clusterId);

    public async Task InitializeAsync() => Table = await NewTableAsync(ClusterId);

    public virtual async Task DisposeAsync()
    {
        foreach (var (table, clusterId) in _created) await table.DeleteMembershipTableEntriesAsync(clusterId);
        foreach (var (table, _) in _created)
        {
            if (table is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else if (table is IDisposable disposable) disposable.Dispose();
        }
    }

    protected async Task<IMembershipTable> NewTableAsync(string clusterId)
    {
        var table = await CreateTableInstanceAsync(clusterId);
        _created.Add((table, clusterId));
        return table;
    }

    [Fact]
    public async Task Empty_table_reads_version_zero_and_no_rows()
    {
        var data = await Table.ReadAllAsync();
        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
        Assert.NotNull(data.Version.VersionEtag);

        var row = await Table.ReadRowAsync(NewEntry().SiloAddress);
        Assert.Empty(row.Members);
        Assert.Equal(data.Version, row.Version);
    }

    [Fact]
    public async Task Insert_adds_the_row_and_advances_the_version_with_a_new_etag()
    {
        var before = await Table.ReadAllAsync();
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, before.Version.Next()), "insert into an empty table");

        var all = await Table.ReadAllAsync();
        var row = Assert.Single(all.Members);
        Assert.Equal(entry.ToFullString(), row.Item1.ToFullString());
        Assert.False(string.IsNullOrEmpty(row.Item2), "a row has an etag");
        Assert.Equal(1, all.Version.Version);
        Assert.NotEqual(before.Version.VersionEtag, all.Version.VersionEtag);

        var single = await Table.ReadRowAsync(entry.SiloAddress);
        Assert.Equal(entry.ToFullString(), Assert.Single(single.Members).Item1.ToFullString());
        Assert.Equal(all.Version, single.Version);
    }

    [Fact]
    public async Task Duplicate_insert_is_refused_and_changes_nothing()
    {
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        var after = await Table.ReadAllAsync();

        var again = NewEntry(entry.SiloAddress);
        again.SiloName = "impostor";
        Assert.False(await Table.InsertRowAsync(again, after.Version.Next()), "a second row for the same silo address");

        var now = await Table.ReadAllAsync();
        Assert.Equal(after.Version, now.Version);
        Assert.Equal(entry.SiloName, Assert.Single(now.Members).Item1.SiloName);
    }

    [Fact]
    public async Task Insert_with_a_stale_table_version_is_refused()
    {
        var stale = (await Table.ReadAllAsync()).Version;
        Assert.True(await Table.InsertRowAsync(NewEntry(), stale.Next()));

        var loser = NewEntry();
        Assert.False(await Table.InsertRowAsync(loser, stale.Next()), "insert prepared against the version before the first insert");
        Assert.Empty((await Table.ReadRowAsync(loser.SiloAddress)).Members);
        Assert.Equal(1, (await Table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task Update_with_current_etags_replaces_the_whole_entry()
    {
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        var read = await Table.ReadAllAsync();
        var (stored, etag) = read.TryGet(entry.SiloAddress)!;

        var updated = NewEntry(entry.SiloAddress, SiloStatus.Active);
        updated.SuspectTimes = [Tuple.Create(NewEntry().SiloAddress, Seconds(DateTime.UtcNow)), Tuple.Create(NewEntry().SiloAddress, Seconds(DateTime.UtcNow.AddSeconds(1)))];
        updated.IAmAliveTime = Seconds(DateTime.UtcNow.AddSeconds(2));
        Assert.True(await Table.UpdateRowAsync(updated, etag, read.Version.Next()), "update with the row's etag and the current version");

        var now = await Table.ReadAllAsync();
        Assert.Equal(2, now.Version.Version);
        Assert.Equal(updated.ToFullString(), now.TryGet(entry.SiloAddress)!.Item1.ToFullString());
        Assert.Equal(2, now.TryGet(entry.SiloAddress)!.Item1.SuspectTimes!.Count);
    }

    [Fact]
    public async Task Update_with_a_stale_row_etag_is_refused()
    {
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        var first = await Table.ReadAllAsync();
        var staleEtag = first.TryGet(entry.SiloAddress)!.Item2;
        Assert.True(await Table.UpdateRowAsync(NewEntry(entry.SiloAddress, SiloStatus.Active), staleEtag, first.Version.Next()));

        var current = await Table.ReadAllAsync();
        var loser = NewEntry(entry.SiloAddress, SiloStatus.Dead);
        Assert.False(await Table.UpdateRowAsync(loser, staleEtag, current.Version.Next()),
            "an update carrying the row etag read before the last update, with the current table version");
        Assert.Equal(SiloStatus.Active, (await Table.ReadRowAsync(entry.SiloAddress)).Members[0].Item1.Status);
        Assert.Equal(current.Version, (await Table.ReadAllAsync()).Version);
    }

    [Fact]
    public async Task Update_with_a_stale_table_version_is_refused()
    {
        var a = NewEntry();
        var b = NewEntry();
        Assert.True(await Table.InsertRowAsync(a, (await Table.ReadAllAsync()).Version.Next()));
        var stale = await Table.ReadAllAsync();
        Assert.True(await Table.InsertRowAsync(b, stale.Version.Next()), "another silo's insert moves the version on");

        var rowEtag = (await Table.ReadRowAsync(a.SiloAddress)).Members[0].Item2;
        Assert.False(await Table.UpdateRowAsync(NewEntry(a.SiloAddress, SiloStatus.Active), rowEtag, stale.Version.Next()),
            "an update with the current row etag but the version read before the other insert");
        Assert.Equal(SiloStatus.Joining, (await Table.ReadRowAsync(a.SiloAddress)).Members[0].Item1.Status);
        Assert.Equal(2, (await Table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task Update_of_a_missing_row_is_refused()
    {
        var data = await Table.ReadAllAsync();
        Assert.False(await Table.UpdateRowAsync(NewEntry(), data.Version.VersionEtag, data.Version.Next()));
        var after = await Table.ReadAllAsync();
        Assert.Empty(after.Members);
        Assert.Equal(data.Version.Version, after.Version.Version);
    }

    [Fact]
    public async Task The_version_only_goes_up_and_a_proposal_not_above_it_is_refused()
    {
        var seen = new List<int> { (await Table.ReadAllAsync()).Version.Version };
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        seen.Add((await Table.ReadAllAsync()).Version.Version);
        foreach (var status in new[] { SiloStatus.Active, SiloStatus.ShuttingDown, SiloStatus.Dead })
        {
            var data = await Table.ReadAllAsync();
            Assert.True(await Table.UpdateRowAsync(NewEntry(entry.SiloAddress, status), data.TryGet(entry.SiloAddress)!.Item2, data.Version.Next()));
            seen.Add((await Table.ReadAllAsync()).Version.Version);
        }
        Assert.Equal([0, 1, 2, 3, 4], seen);

        var current = await Table.ReadAllAsync();
        var etag = current.TryGet(entry.SiloAddress)!.Item2;
        var sameVersion = new TableVersion(current.Version.Version, current.Version.VersionEtag);
        var lowerVersion = new TableVersion(current.Version.Version - 1, current.Version.VersionEtag);
        Assert.False(await Table.UpdateRowAsync(NewEntry(entry.SiloAddress, SiloStatus.Active), etag, sameVersion), "a proposal equal to the current version");
        Assert.False(await Table.UpdateRowAsync(NewEntry(entry.SiloAddress, SiloStatus.Active), etag, lowerVersion), "a proposal below the current version");
        Assert.False(await Table.InsertRowAsync(NewEntry(), lowerVersion), "an insert proposing a lower version");
        Assert.Equal(current.Version, (await Table.ReadAllAsync()).Version);
    }

    [Fact]
    public async Task IAmAlive_writes_only_the_IAmAlive_time()
    {
        var entry = NewEntry(status: SiloStatus.Active);
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        var before = await Table.ReadAllAsync();

        var alive = Seconds(DateTime.UtcNow.AddSeconds(5));
        // Orleans sends a sparse entry: only the address and the time are meaningful.
        await Table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = entry.SiloAddress, IAmAliveTime = alive });

        var after = await Table.ReadAllAsync();
        Assert.Equal(before.Version.Version, after.Version.Version);
        var stored = after.TryGet(entry.SiloAddress)!.Item1;
        Assert.Equal(alive, stored.IAmAliveTime);
        entry.IAmAliveTime = alive;
        Assert.Equal(entry.ToFullString(), stored.ToFullString());
    }

    [Fact]
    public async Task Cleanup_removes_only_dead_rows_not_updated_since_the_cutoff()
    {
        // Orleans 10.4: "Removes dead silo entries whose last known update precedes beforeDate", the last
        // known update being the latest of start, IAmAlive and suspect votes (MembershipEntry.EffectiveUpdateTime).
        var old = Seconds(DateTime.UtcNow - DefunctAge);
        var oldByStatus = new Dictionary<SiloStatus, MembershipEntry>();
        foreach (var status in new[] { SiloStatus.Created, SiloStatus.Joining, SiloStatus.Active, SiloStatus.ShuttingDown, SiloStatus.Stopping, SiloStatus.Dead })
        {
            var entry = NewEntry(status: status);
            entry.StartTime = old;
            entry.IAmAliveTime = old;
            Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
            oldByStatus[status] = entry;
        }
        var recentDead = NewEntry(status: SiloStatus.Dead);
        Assert.True(await Table.InsertRowAsync(recentDead, (await Table.ReadAllAsync()).Version.Next()));
        var oldStartRecentlyAlive = NewEntry(status: SiloStatus.Dead);
        oldStartRecentlyAlive.StartTime = old;
        Assert.True(await Table.InsertRowAsync(oldStartRecentlyAlive, (await Table.ReadAllAsync()).Version.Next()));
        var oldButRecentlyDeclaredDead = NewEntry(status: SiloStatus.Dead);
        oldButRecentlyDeclaredDead.StartTime = old;
        oldButRecentlyDeclaredDead.IAmAliveTime = old;
        oldButRecentlyDeclaredDead.SuspectTimes = [Tuple.Create(NewEntry().SiloAddress, old), Tuple.Create(NewEntry().SiloAddress, Seconds(DateTime.UtcNow))];
        Assert.True(await Table.InsertRowAsync(oldButRecentlyDeclaredDead, (await Table.ReadAllAsync()).Version.Next()));
        var version = (await Table.ReadAllAsync()).Version;

        await Table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow - CleanupCutoff);

        var after = await Table.ReadAllAsync();
        var left = after.Members.Select(m => m.Item1.SiloAddress).ToHashSet();
        var expected = oldByStatus.Where(kv => kv.Key != SiloStatus.Dead).Select(kv => kv.Value.SiloAddress).ToHashSet();
        expected.UnionWith([recentDead.SiloAddress, oldStartRecentlyAlive.SiloAddress, oldButRecentlyDeclaredDead.SiloAddress]);
        Assert.Equal(expected, left);
        Assert.Equal(version.Version, after.Version.Version);
    }

    [Fact]
    public async Task Racing_inserts_from_two_instances_exactly_one_wins()
    {
        var other = await NewTableAsync(ClusterId);
        var version = (await Table.ReadAllAsync()).Version.Next();
        var attempts = Enumerable.Range(0, RaceWidth)
            .Select(i => (i % 2 == 0 ? Table : other).InsertRowAsync(NewEntry(), version))
            .ToArray();
        var results = await Task.WhenAll(attempts);
        Assert.Equal(1, results.Count(ok => ok));
        var data = await other.ReadAllAsync();
        Assert.Single(data.Members);
        Assert.Equal(1, data.Version.Version);

        var same = NewEntry();
        var next = data.Version.Next();
        var sameResults = await Task.WhenAll(Enumerable.Range(0, RaceWidth).Select(i => (i % 2 == 0 ? Table : other).InsertRowAsync(same, next)));
        Assert.Equal(1, sameResults.Count(ok => ok));
        Assert.Equal(2, (await Table.ReadAllAsync()).Members.Count);
    }

    [Fact]
    public async Task Racing_updates_from_two_instances_exactly_one_wins_each_round()
    {
        var other = await NewTableAsync(ClusterId);
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        for (int round = 0; round < RaceRounds; round++)
        {
            var seenByFirst = await Table.ReadAllAsync();
            var seenBySecond = await other.ReadAllAsync();
            Assert.Equal(seenByFirst.Version, seenBySecond.Version);
            var first = NewEntry(entry.SiloAddress, SiloStatus.Active);
            first.SiloName = $"first-{round}";
            var second = NewEntry(entry.SiloAddress, SiloStatus.Active);
            second.SiloName = $"second-{round}";
            var results = await Task.WhenAll(
                Table.UpdateRowAsync(first, seenByFirst.TryGet(entry.SiloAddress)!.Item2, seenByFirst.Version.Next()),
                other.UpdateRowAsync(second, seenBySecond.TryGet(entry.SiloAddress)!.Item2, seenBySecond.Version.Next()));
            Assert.Equal(1, results.Count(ok => ok));
            var winner = results[0] ? first : second;
            Assert.Equal(winner.SiloName, (await other.ReadRowAsync(entry.SiloAddress)).Members[0].Item1.SiloName);
        }
        Assert.Equal(1 + RaceRounds, (await Table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task Updaters_that_retry_on_conflict_all_land_once()
    {
        var other = await NewTableAsync(ClusterId);
        var entry = NewEntry();
        Assert.True(await Table.InsertRowAsync(entry, (await Table.ReadAllAsync()).Version.Next()));
        var updaters = Enumerable.Range(0, RaceWidth).Select(async i =>
        {
            var table = i % 2 == 0 ? Table : other;
            var conflicts = 0;
            while (true)
            {
                var data = await table.ReadAllAsync();
                var row = data.TryGet(entry.SiloAddress)!;
                var mine = NewEntry(entry.SiloAddress, SiloStatus.Active);
                mine.SuspectTimes = [.. row.Item1.SuspectTimes ?? [], Tuple.Create(NewEntry().SiloAddress, Seconds(DateTime.UtcNow))];
                if (await table.UpdateRowAsync(mine, row.Item2, data.Version.Next())) return conflicts;
                conflicts++;
            }
        });
        await Task.WhenAll(updaters).WaitAsync(TimeSpan.FromSeconds(60));
        var final = await Table.ReadAllAsync();
        Assert.Equal(1 + RaceWidth, final.Version.Version);
        Assert.Equal(RaceWidth, final.TryGet(entry.SiloAddress)!.Item1.SuspectTimes!.Count);
    }

    [Fact]
    public async Task Cluster_ids_sharing_a_store_are_isolated()
    {
        var otherClusterId = ClusterId + "-other";
        var other = await NewTableAsync(otherClusterId);
        var mine = NewEntry();
        Assert.True(await Table.InsertRowAsync(mine, (await Table.ReadAllAsync()).Version.Next()));
        Assert.True(await Table.InsertRowAsync(NewEntry(), (await Table.ReadAllAsync()).Version.Next()));

        var theirs = await other.ReadAllAsync();
        Assert.Empty(theirs.Members);
        Assert.Equal(0, theirs.Version.Version);
        Assert.Empty((await other.ReadRowAsync(mine.SiloAddress)).Members);

        var theirEntry = NewEntry(mine.SiloAddress);
        Assert.True(await other.InsertRowAsync(theirEntry, theirs.Version.Next()), "the same silo address in another cluster");
        Assert.Equal(1, (await other.ReadAllAsync()).Version.Version);

        await other.DeleteMembershipTableEntriesAsync(otherClusterId);
        await other.InitializeMembershipTableAsync(tryInitTableVersion: true);
        Assert.Empty((await other.ReadAllAsync()).Members);
        var still = await Table.ReadAllAsync();
        Assert.Equal(2, still.Members.Count);
        Assert.Equal(2, still.Version.Version);
    }

    [Fact]
    public async Task Delete_entries_removes_every_row_of_the_cluster()
    {
        Assert.True(await Table.InsertRowAsync(NewEntry(), (await Table.ReadAllAsync()).Version.Next()));
        Assert.True(await Table.InsertRowAsync(NewEntry(), (await Table.ReadAllAsync()).Version.Next()));
        await Table.DeleteMembershipTableEntriesAsync(ClusterId);
        // Orleans' Redis table deletes the version with the rows; a silo initialises the table again before use.
        await Table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        var after = await Table.ReadAllAsync();
        Assert.Empty(after.Members);
        Assert.True(await Table.InsertRowAsync(NewEntry(), after.Version.Next()), "the table is usable again");
    }

    protected MembershipEntry NewEntry(SiloAddress? address = null, SiloStatus status = SiloStatus.Joining)
    {
        var now = Seconds(DateTime.UtcNow);
        address ??= SiloAddress.New(IPAddress.Loopback, SiloPort, _nextGeneration++);
        return new MembershipEntry
        {
            SiloAddress = address,
            Status = status,
            HostName = "test-host",
            SiloName = $"silo-{address.Generation}",
            ProxyPort = address.Endpoint.Port + 1,
            StartTime = now,
            IAmAliveTime = now,
        };
    }

    /// <summary>A UTC time cut to whole seconds, so every store returns it unchanged.</summary>
    protected static DateTime Seconds(DateTime time) =>
        new(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
}
