using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Storage.Sqlite;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// A partition grain over a real SQLite store whose value of one key was damaged on disk: the grain reads it as absent,
/// quarantines and counts it once, and, since the value may hold versions this silo signed, signs its next version of
/// any key in a new dot epoch.
/// </summary>
public sealed class ValueQuarantineReplicaTests : IAsyncLifetime
{
    private const int Partition = 3;
    private static readonly DynamoKey Key = new("default", "damaged");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "od-quarantine-tests", Guid.NewGuid().ToString("N"));
    private readonly SiloCounters _counters = new();
    private SqlitePartitionStore _store = null!;
    private PartitionReplicas _grains = null!;
    private readonly List<(DynamoKey Key, SiblingSet? After)> _changes = [];

    public async Task InitializeAsync()
    {
        _store = SqlitePartitionStore.Open(new SqliteStoreOptions { DataDirectory = _dir });
        _grains = new PartitionReplicas("silo0", _store, TimeProvider.System, 50, TimeSpan.FromMinutes(1), _counters, NullLogger.Instance);
        _grains.AddObserver(new Observer(_changes));
        await _grains.Epoch.LoadAsync(_store.Metadata, mayHaveLostWrites: false, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private async Task<CoordinatedWrite> CoordinateAsync(string value, VectorClock? context = null)
    {
        var write = await _grains.Get(Partition).CoordinateWriteAsync(Key, context ?? VectorClock.Empty, Bytes(value), false, null, ConflictPolicy.Siblings, CancellationToken.None);
        await write.Persisted.WaitAsync(TimeSpan.FromSeconds(10));
        return write;
    }

    /// <summary>Flips a bit of the key's stored value through a second connection: its checksum no longer matches.</summary>
    private void Damage()
    {
        using var c = new SqliteConnection($"Data Source={_store.DatabasePath};Pooling=False");
        c.Open();
        using var read = c.CreateCommand();
        read.CommandText = "SELECT blob FROM kv WHERE key_name = 'damaged';";
        var blob = (byte[])read.ExecuteScalar()!;
        blob[^1] ^= 0x01;
        using var write = c.CreateCommand();
        write.CommandText = "UPDATE kv SET blob = $b WHERE key_name = 'damaged';";
        write.Parameters.AddWithValue("$b", blob);
        Assert.Equal(1, write.ExecuteNonQuery());
    }

    [Fact]
    public async Task A_damaged_value_reads_as_absent_is_quarantined_and_counted_once_and_a_merge_brings_it_back()
    {
        var first = await CoordinateAsync("v1");
        Damage();
        _changes.Clear();

        var grain = _grains.Get(Partition);
        Assert.Null(await grain.ReadAsync(Key, CancellationToken.None));
        Assert.Null(await grain.ReadAsync(Key, CancellationToken.None));
        Assert.Equal(1, _counters.Get(CounterNames.ValuesQuarantined));
        Assert.Equal(Key, Assert.Single(await _store.ListQuarantinedAsync(0, 10)).Key);
        Assert.Equal([(Key, (SiblingSet?)null)], _changes); // the Merkle tree drops the key with the store

        var merged = await grain.MergeAsync(Key, first.Stored, ConflictPolicy.Siblings, CancellationToken.None);
        Assert.Equal(first.Stored, merged);
        Assert.Equal(first.Stored, await grain.ReadAsync(Key, CancellationToken.None));
        Assert.Equal(1, _counters.Get(CounterNames.ValuesQuarantined));
    }

    [Fact]
    public async Task A_put_over_a_damaged_value_quarantines_it_and_signs_in_a_new_epoch_so_no_dot_is_issued_twice()
    {
        var first = await CoordinateAsync("v1");
        Assert.Equal(new Dot("silo0", 1), first.NewDot);
        Damage();

        // The other replicas may hold silo0:1 = v1, forgotten here with the damaged value: it must not be signed again.
        var next = await CoordinateAsync("v2");
        Assert.Equal(new Dot("silo0~1", 1), next.NewDot);
        Assert.Equal(1, _counters.Get(CounterNames.ValuesQuarantined));
        Assert.Equal("v2", Encoding.UTF8.GetString(Assert.Single((await _store.ReadAsync(Partition, Key))!.Siblings).Value));

        // Merged with the copy another replica kept, both versions survive as siblings.
        var merged = await _grains.Get(Partition).MergeAsync(Key, first.Stored, ConflictPolicy.Siblings, CancellationToken.None);
        Assert.Equal(["v1", "v2"], merged.Siblings.Select(s => Encoding.UTF8.GetString(s.Value)).Order());
    }

    [Fact]
    public async Task A_removal_of_a_damaged_value_removes_nothing_and_quarantines_it()
    {
        var first = await CoordinateAsync("v1");
        Damage();
        Assert.False(await _grains.Get(Partition).RemoveAsync(Key, first.Stored, CancellationToken.None));
        Assert.Equal(1, _counters.Get(CounterNames.ValuesQuarantined));
        Assert.Null(await _store.ReadAsync(Partition, Key));
    }

    private sealed class Observer(List<(DynamoKey, SiblingSet?)> changes) : IPartitionChangeObserver
    {
        public void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after)
        {
            lock (changes) changes.Add((key, after));
        }
    }
}
