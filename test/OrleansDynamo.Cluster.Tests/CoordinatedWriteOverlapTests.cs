using System.Text;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Storage;
using OrleansDynamo.Storage.Memory;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// The coordinator's step of a put returns the new version while its local write still commits (so the
/// replica writes go out meanwhile), keeps the key's turn until the commit, and moves to a new dot epoch
/// when a version it let go of fails to commit here, or when the silo stopped without closing its epoch.
/// </summary>
public sealed class CoordinatedWriteOverlapTests
{
    private static readonly DynamoKey Key = new("default", "k");

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task<(PartitionReplicas Grains, HeldWrites Store, Observer Observer)> StartAsync(InMemoryPartitionStore? disk = null)
    {
        var store = new HeldWrites(disk ?? new InMemoryPartitionStore());
        var grains = new PartitionReplicas("silo0", store, TimeProvider.System, 50, TimeSpan.FromMinutes(1), new Silo.Diagnostics.SiloCounters(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var observer = new Observer();
        grains.AddObserver(observer);
        await grains.Epoch.LoadAsync(store.Metadata, mayHaveLostWrites: false, CancellationToken.None);
        return (grains, store, observer);
    }

    [Fact]
    public async Task The_version_is_handed_out_before_its_commit_and_the_turn_lasts_until_then()
    {
        var (grains, store, observer) = await StartAsync();
        var grain = grains.Get(3);
        store.Hold = true;
        var first = await grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v1"), false, null, ConflictPolicy.Siblings, CancellationToken.None);
        Assert.Equal(new Dot("silo0", 1), first.NewDot);
        Assert.False(first.Persisted.IsCompleted, "the local write is still committing");
        Assert.Empty(observer.Changes);
        Assert.Null(await store.ReadAsync(3, Key));

        // A second put of the key waits for the first one's commit and builds on its version.
        var second = grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v2"), false, null, ConflictPolicy.Siblings, CancellationToken.None).AsTask();
        Assert.False(second.IsCompleted, "the second put ran while the first one's turn lasted");

        store.Release();
        await first.Persisted.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(first.Stored, await store.ReadAsync(3, Key));
        var secondWrite = await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new Dot("silo0", 2), secondWrite.NewDot);
        Assert.Equal(2, secondWrite.Stored.Siblings.Length);
        store.Release();
        await secondWrite.Persisted.WaitAsync(TimeSpan.FromSeconds(5));
        // Observers saw each change once, in order, after it was stored.
        Assert.Equal([null, first.Stored], observer.Changes.Select(c => c.Before));
        Assert.Equal([first.Stored, secondWrite.Stored], observer.Changes.Select(c => c.After));
    }

    [Fact]
    public async Task A_failed_commit_of_a_version_handed_out_moves_the_silo_to_a_new_epoch()
    {
        var (grains, store, observer) = await StartAsync();
        var grain = grains.Get(3);
        store.Hold = true;
        var lost = await grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v1"), false, null, ConflictPolicy.Siblings, CancellationToken.None);
        Assert.Equal(new Dot("silo0", 1), lost.NewDot);
        store.Release(fail: true);
        await Assert.ThrowsAsync<IOException>(() => lost.Persisted.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Empty(observer.Changes);

        // The other replicas may hold silo0:1 = v1; the next write of the key must not sign silo0:1 again.
        store.Hold = false;
        var next = await grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v2"), false, null, ConflictPolicy.Siblings, CancellationToken.None);
        Assert.Equal(new Dot("silo0~1", 1), next.NewDot);
        Assert.True(next.Persisted.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_write_that_fails_before_its_version_is_handed_out_keeps_the_epoch()
    {
        var (grains, store, _) = await StartAsync();
        var grain = grains.Get(3);
        store.FailAtOnce = true;
        await Assert.ThrowsAsync<IOException>(async () => await grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v1"), false, null, ConflictPolicy.Siblings, CancellationToken.None));
        store.FailAtOnce = false;
        var next = await grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v2"), false, null, ConflictPolicy.Siblings, CancellationToken.None);
        Assert.Equal(new Dot("silo0", 1), next.NewDot);
        Assert.Equal(0, grains.Epoch.Epoch);
    }

    [Fact]
    public async Task Full_durability_keeps_the_epoch_across_a_clean_stop_and_moves_past_it_after_an_unclean_one()
    {
        var disk = new InMemoryPartitionStore();
        var (first, _, _) = await StartAsync(disk);
        Assert.Equal(0, first.Epoch.Epoch);
        await first.Epoch.CloseAsync();

        var (second, _, _) = await StartAsync(disk);
        Assert.Equal(0, second.Epoch.Epoch);
        // Dies without closing: it may have sent versions that never committed here.
        var (third, _, _) = await StartAsync(disk);
        Assert.Equal(1, third.Epoch.Epoch);
        Assert.Equal("silo0~1", third.Epoch.Actor);
    }

    [Fact]
    public async Task Closing_waits_for_versions_still_committing_and_later_writes_commit_before_they_are_handed_out()
    {
        var (grains, store, _) = await StartAsync();
        var grain = grains.Get(3);
        store.Hold = true;
        var pending = await grain.CoordinateWriteAsync(Key, VectorClock.Empty, Bytes("v1"), false, null, ConflictPolicy.Siblings, CancellationToken.None);
        var close = grains.Epoch.CloseAsync();
        Assert.False(close.IsCompleted, "closed while a handed-out version was still committing");
        Assert.False(grains.Epoch.AllowsEarlySends);
        store.Release();
        await close.WaitAsync(TimeSpan.FromSeconds(5));
        await pending.Persisted.WaitAsync(TimeSpan.FromSeconds(5));

        var after = grain.CoordinateWriteAsync(new DynamoKey("default", "other"), VectorClock.Empty, Bytes("v2"), false, null, ConflictPolicy.Siblings, CancellationToken.None).AsTask();
        Assert.False(after.IsCompleted, "after close a version is handed out only once committed");
        store.Release();
        var write = await after.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(write.Persisted.IsCompletedSuccessfully);
    }

    private sealed record Change(SiblingSet? Before, SiblingSet? After);

    private sealed class Observer : IPartitionChangeObserver
    {
        public List<Change> Changes { get; } = [];

        public void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after)
        {
            lock (Changes) Changes.Add(new Change(before, after));
        }
    }

    /// <summary>A store whose key writes wait (while <see cref="Hold"/>) until the test releases them, one at a time.</summary>
    private sealed class HeldWrites(IPartitionStore inner) : DelegatingPartitionStore(inner)
    {
        private readonly Queue<TaskCompletionSource<bool>> _held = new();

        public bool Hold { get; set; }

        public bool FailAtOnce { get; set; }

        /// <summary>Lets the oldest held write commit (or fail without landing).</summary>
        public void Release(bool fail = false)
        {
            TaskCompletionSource<bool>? next;
            lock (_held) _held.TryDequeue(out next);
            Assert.NotNull(next);
            next.SetResult(fail);
        }

        public override ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default)
        {
            if (FailAtOnce) throw new IOException("disk full");
            if (!Hold) return Inner.WriteAsync(partition, key, siblings, cancellationToken);
            var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_held) _held.Enqueue(gate);
            return CommitLaterAsync(gate.Task, partition, key, siblings);
        }

        private async ValueTask CommitLaterAsync(Task<bool> gate, int partition, DynamoKey key, SiblingSet siblings)
        {
            if (await gate) throw new IOException("commit failed");
            await Inner.WriteAsync(partition, key, siblings);
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
