using OrleansDynamo.Storage.Log;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// Full durability is a group commit: a write returns only after an fsync covering it, concurrent writers share fsyncs,
/// and no read returns a record whose fsync is still running. Normal durability syncs in the background.
/// </summary>
public sealed class LogDurabilityTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _dir = TempDirectory();

    public void Dispose() => DeleteDirectory(_dir);

    private LogPartitionStore Open(DurabilityMode durability, TimeSpan? flushInterval = null) => LogPartitionStore.Open(new LogStoreOptions
    {
        DataDirectory = _dir,
        Durability = durability,
        FlushInterval = flushInterval ?? TimeSpan.FromSeconds(1),
        MergeCheckInterval = TimeSpan.Zero,
    });

    [Fact]
    public async Task Concurrent_writes_share_fsyncs_and_each_returns_once_it_is_synced()
    {
        await using var store = Open(DurabilityMode.Full);
        long syncsBefore = store.Stats.Syncs;
        await Task.WhenAll(Enumerable.Range(0, 64).Select(w => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                await store.WriteAsync(1, Key($"w{w}-{i}"), Value("v"));
                long seq = store.SequenceOf(1, Key($"w{w}-{i}"));
                Assert.True(store.Stats.DurableSequence >= seq, "a write returned before an fsync covered it");
            }
        })));
        long syncs = store.Stats.Syncs - syncsBefore;
        Assert.Equal(64 * 20, store.Stats.LastSequence);
        Assert.True(syncs < 64 * 20 / 2, $"{64 * 20} writes took {syncs} fsyncs");
        Assert.True(syncs > 0);
    }

    [Fact]
    public async Task A_write_and_a_read_of_it_wait_for_the_fsync_still_running()
    {
        await using var store = Open(DurabilityMode.Full);
        await store.WriteAsync(1, Key("k"), Value("synced"));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        store.Syncer.BeforeSync = () =>
        {
            entered.Set();
            release.Wait(Bound);
        };
        try
        {
            var write = store.WriteAsync(1, Key("k"), Value("not synced yet")).AsTask();
            Assert.True(entered.Wait(Bound), "the sync did not start");
            Assert.False(write.IsCompleted, "the write returned before its fsync");

            // The record is appended (a read finds it) but not synced: the read waits for the fsync too.
            var read = store.ReadAsync(1, Key("k")).AsTask();
            var scan = store.ScanAsync(1, null, 10).AsTask();
            Assert.False(read.IsCompleted, "a read returned a record whose fsync is still running");
            Assert.False(scan.IsCompleted, "a scan returned a record whose fsync is still running");

            release.Set();
            await write.WaitAsync(Bound);
            Assert.Equal(Value("not synced yet"), await read.WaitAsync(Bound));
            Assert.Equal(Value("not synced yet"), Assert.Single((await scan.WaitAsync(Bound)).Entries).Siblings);
        }
        finally
        {
            release.Set();
            store.Syncer.BeforeSync = null;
        }
    }

    [Fact]
    public async Task Normal_durability_does_not_wait_for_fsyncs_and_syncs_in_the_background()
    {
        await using var store = Open(DurabilityMode.Normal, TimeSpan.FromMilliseconds(20));
        using var release = new ManualResetEventSlim();
        store.Syncer.BeforeSync = () => release.Wait(Bound);
        try
        {
            // With every fsync held, writes and reads still complete at once.
            for (int i = 0; i < 100; i++)
            {
                var write = store.WriteAsync(1, Key("k" + i), Value("v"));
                Assert.True(write.IsCompletedSuccessfully);
                Assert.Equal(Value("v"), await store.ReadAsync(1, Key("k" + i)));
            }
            Assert.True(store.Stats.DurableSequence < 100);
        }
        finally
        {
            release.Set();
        }
        Assert.True(SpinWait.SpinUntil(() => store.Stats.DurableSequence == 100, Bound), "the background flush did not sync the writes");
        Assert.True(store.Stats.Syncs > 0);
    }

    [Fact]
    public async Task Dispose_syncs_what_normal_durability_had_not_synced_yet()
    {
        var store = Open(DurabilityMode.Normal, TimeSpan.FromMinutes(1));
        for (int i = 0; i < 10; i++) await store.WriteAsync(1, Key("k" + i), Value("v"));
        Assert.Equal(0, store.Stats.DurableSequence);
        await store.DisposeAsync();
        Assert.Equal(10, store.Stats.DurableSequence);
    }
}
