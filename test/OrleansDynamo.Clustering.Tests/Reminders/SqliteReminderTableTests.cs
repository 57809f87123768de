using Orleans;
using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using Xunit;

namespace OrleansDynamo.Clustering.Tests.Reminders;

/// <summary>
/// <see cref="SqliteReminderTable"/> against Orleans' reminder-table contract: upsert returns a new etag,
/// remove only with the current etag, reads by grain and by ring range (<c>(begin, end]</c>, or the
/// wrap-around when begin &gt;= end), StartAt and Period back exactly, service ids apart.
/// </summary>
public sealed class SqliteReminderTableTests : IAsyncLifetime, IDisposable
{
    private const int RangeGrains = 300;
    private const int RandomRanges = 200;
    private const int RandomSeed = 20_260_504;
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(10);
    private static readonly GrainType TestGrainType = GrainType.Create("reminder-test-grain");

    private readonly TempDirectory _directory = new();
    private readonly SqliteReminderTable _table;
    private readonly string _serviceId = "service-" + Guid.NewGuid().ToString("N");

    public SqliteReminderTableTests() => _table = NewTable(_serviceId);

    public Task InitializeAsync() => _table.StartAsync();

    public Task DisposeAsync() => _table.TestOnlyClearTable();

    public void Dispose() => _directory.Dispose();

    private SqliteReminderTable NewTable(string serviceId) =>
        new(new SqliteClusteringDatabase(_directory.File("cluster.db"), BusyTimeout), serviceId);

    [Fact]
    public async Task Upsert_read_and_remove_follow_the_etags()
    {
        var reminder = NewReminder(NewGrain("a/b\\#c?"), "foo/bar\\#b_a_z?");
        var firstEtag = await _table.UpsertRow(reminder);
        Assert.False(string.IsNullOrEmpty(firstEtag));

        var read = await _table.ReadRow(reminder.GrainId, reminder.ReminderName);
        Assert.NotNull(read);
        Assert.Equal(firstEtag, read.ETag);
        Assert.Equal(reminder.GrainId, read.GrainId);
        Assert.Equal(reminder.ReminderName, read.ReminderName);

        reminder.StartAt = reminder.StartAt.AddMinutes(1);
        var secondEtag = await _table.UpsertRow(reminder);
        Assert.NotEqual(firstEtag, secondEtag);
        Assert.Equal(secondEtag, (await _table.ReadRow(reminder.GrainId, reminder.ReminderName))!.ETag);
        Assert.Single((await _table.ReadRows(reminder.GrainId)).Reminders);

        Assert.False(await _table.RemoveRow(reminder.GrainId, reminder.ReminderName, firstEtag!), "the etag before the last upsert");
        Assert.False(await _table.RemoveRow(reminder.GrainId, "other-name", secondEtag!), "the right etag, another reminder's name");
        Assert.False(await _table.RemoveRow(NewGrain(), reminder.ReminderName, secondEtag!), "the right etag, another grain");
        Assert.True(await _table.RemoveRow(reminder.GrainId, reminder.ReminderName, secondEtag!));
        Assert.False(await _table.RemoveRow(reminder.GrainId, reminder.ReminderName, secondEtag!), "already removed");
        Assert.Null(await _table.ReadRow(reminder.GrainId, reminder.ReminderName));
    }

    [Fact]
    public async Task StartAt_and_Period_come_back_exactly()
    {
        var grain = NewGrain();
        var cases = new (string Name, DateTime StartAt, TimeSpan Period)[]
        {
            ("utc-ticks", new DateTime(638_123_456_789_012_345, DateTimeKind.Utc), TimeSpan.FromTicks(12_345_678_901)),
            ("unspecified", new DateTime(638_000_000_000_000_001, DateTimeKind.Unspecified), TimeSpan.FromMilliseconds(1500)),
            ("local", new DateTime(638_000_000_000_000_002, DateTimeKind.Local), TimeSpan.FromDays(3)),
            ("zero-period", new DateTime(1, DateTimeKind.Utc), TimeSpan.Zero),
        };
        foreach (var (name, startAt, period) in cases)
            await _table.UpsertRow(new ReminderEntry { GrainId = grain, ReminderName = name, StartAt = startAt, Period = period });

        var stored = (await _table.ReadRows(grain)).Reminders.ToDictionary(r => r.ReminderName);
        Assert.Equal(cases.Length, stored.Count);
        foreach (var (name, startAt, period) in cases)
        {
            Assert.Equal(startAt.Ticks, stored[name].StartAt.Ticks);
            Assert.Equal(startAt.Kind, stored[name].StartAt.Kind);
            Assert.Equal(period.Ticks, stored[name].Period.Ticks);
        }
    }

    [Fact]
    public async Task Reads_by_grain_return_that_grains_reminders_only()
    {
        var grain = NewGrain();
        var other = NewGrain();
        await _table.UpsertRow(NewReminder(grain, "one"));
        await _table.UpsertRow(NewReminder(grain, "two"));
        await _table.UpsertRow(NewReminder(other, "one"));

        var rows = (await _table.ReadRows(grain)).Reminders;
        Assert.Equal(["one", "two"], rows.Select(r => r.ReminderName).Order());
        Assert.All(rows, r => Assert.Equal(grain, r.GrainId));
        Assert.Empty((await _table.ReadRows(NewGrain())).Reminders);
    }

    [Fact]
    public async Task Range_reads_are_begin_exclusive_end_inclusive_and_wrap_when_begin_is_not_below_end()
    {
        var random = new Random(RandomSeed);
        var hashes = new List<uint>();
        await Task.WhenAll(Enumerable.Range(0, RangeGrains).Select(i =>
        {
            var grain = NewGrain(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            lock (hashes) hashes.Add(grain.GetUniformHashCode());
            return _table.UpsertRow(NewReminder(grain, "r"));
        }));
        hashes.Sort();

        var ranges = new List<(uint Begin, uint End)>
        {
            (0, uint.MaxValue), (0, 0), (uint.MaxValue, uint.MaxValue), (uint.MaxValue, 0), (1, 0),
            (hashes[10], hashes[10]), (hashes[10] - 1, hashes[10]), (hashes[10], hashes[10] + 1),
            (hashes[^1], hashes[0]), (hashes[0], hashes[^1]), (hashes[200], hashes[100]),
        };
        for (int i = 0; i < RandomRanges; i++) ranges.Add(((uint)random.NextInt64(0, 1L << 32), (uint)random.NextInt64(0, 1L << 32)));

        foreach (var (begin, end) in ranges)
        {
            var expected = hashes.Where(h => begin < end ? h > begin && h <= end : h > begin || h <= end).ToList();
            var actual = (await _table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order().ToList();
            Assert.True(expected.SequenceEqual(actual), $"range ({begin}, {end}]: expected {expected.Count} reminders, got {actual.Count}");
        }
        Assert.Single((await _table.ReadRows(hashes[10] - 1, hashes[10])).Reminders, r => r.GrainId.GetUniformHashCode() == hashes[10]);
        Assert.DoesNotContain((await _table.ReadRows(hashes[10], hashes[10] + 1)).Reminders, r => r.GrainId.GetUniformHashCode() == hashes[10]);
        Assert.Equal(RangeGrains, (await _table.ReadRows(hashes[10], hashes[10])).Reminders.Count);
    }

    [Fact]
    public async Task Service_ids_sharing_the_file_are_isolated()
    {
        var other = NewTable(_serviceId + "-other");
        await other.StartAsync();
        var reminder = NewReminder(NewGrain(), "shared-name");
        var etag = await _table.UpsertRow(reminder);

        Assert.Null(await other.ReadRow(reminder.GrainId, reminder.ReminderName));
        Assert.Empty((await other.ReadRows(0, 0)).Reminders);
        Assert.False(await other.RemoveRow(reminder.GrainId, reminder.ReminderName, etag!));

        await other.UpsertRow(NewReminder(reminder.GrainId, reminder.ReminderName));
        await other.TestOnlyClearTable();
        Assert.Equal(etag, (await _table.ReadRow(reminder.GrainId, reminder.ReminderName))!.ETag);
    }

    [Fact]
    public async Task Racing_upserts_from_two_instances_each_get_an_etag_and_the_last_one_holds()
    {
        var other = NewTable(_serviceId);
        var reminder = NewReminder(NewGrain(), "raced");
        var etags = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? _table : other).UpsertRow(NewReminder(reminder.GrainId, reminder.ReminderName))));
        Assert.Equal(etags.Length, etags.Distinct().Count());

        var current = (await other.ReadRow(reminder.GrainId, reminder.ReminderName))!.ETag!;
        Assert.Contains(current, etags);
        foreach (var stale in etags.Where(e => e != current))
            Assert.False(await _table.RemoveRow(reminder.GrainId, reminder.ReminderName, stale!));
        Assert.True(await other.RemoveRow(reminder.GrainId, reminder.ReminderName, current));
    }

    private static GrainId NewGrain(string? suffix = null) =>
        GrainId.Create(TestGrainType, Guid.NewGuid().ToString("N") + (suffix ?? string.Empty));

    private static ReminderEntry NewReminder(GrainId grain, string name) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = new DateTime(DateTime.UtcNow.Ticks, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(1),
    };
}
