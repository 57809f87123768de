using System.Diagnostics;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Storage.Log;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

/// <summary>Merges reclaim the space of dead records, change nothing a reader sees, and leave nothing to come back at the next open.</summary>
public sealed class LogMergeTests : IDisposable
{
    private static readonly int[] Partitions = [0, 1, 2, 3, 4];

    private readonly string _dir = TempDirectory();

    public void Dispose() => DeleteDirectory(_dir);

    private LogStoreOptions Options(Action<LogStoreOptions>? change = null)
    {
        var options = new LogStoreOptions
        {
            DataDirectory = _dir,
            Durability = DurabilityMode.Normal,
            FileSizeBytes = 4096,
            MergeCheckInterval = TimeSpan.Zero,
            MergeBytesPerSecond = 0,
            Warning = _ => { },
        };
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task A_merge_reclaims_the_space_of_overwritten_and_removed_values_and_changes_nothing_before_or_after_reopen()
    {
        var contents = new LogStoreContents();
        await using (var store = LogPartitionStore.Open(Options()))
        {
            await LogReopenTests.Churn(store, contents, rounds: 1500);
            var before = store.Stats;
            string[] filesBefore = LogTestFiles.DataFiles(_dir);
            Assert.True(before.SealedDeadBytes > before.SealedBytes / 2, $"{before.SealedDeadBytes} of {before.SealedBytes} dead");

            var result = await store.MergeAsync();

            var after = store.Stats;
            string[] filesAfter = LogTestFiles.DataFiles(_dir);
            Assert.Equal(filesBefore.Length - 1, result.Inputs);
            Assert.True(result.Outputs < result.Inputs / 2, $"{result.Inputs} files merged into {result.Outputs}");
            Assert.Empty(filesBefore.SkipLast(1).Intersect(filesAfter));
            Assert.True(after.TotalBytes < before.TotalBytes / 2, $"{before.TotalBytes} bytes before, {after.TotalBytes} after");
            Assert.Equal(before.TotalBytes - after.TotalBytes, result.BytesReclaimed);
            Assert.Equal(0, after.SealedDeadBytes);
            Assert.Equal(before.LiveBytes, after.LiveBytes);
            Assert.Equal((1, result.BytesReclaimed), (after.Merges, after.MergeBytesReclaimed));
            Assert.Equal(filesAfter.Sum(f => new FileInfo(f).Length), after.TotalBytes);
            await contents.AssertHeldBy(store, Partitions);
        }
        await using (var reopened = LogPartitionStore.Open(Options()))
        {
            await contents.AssertHeldBy(reopened, Partitions);
            Assert.Equal(0, reopened.Stats.SealedDeadBytes);
        }
    }

    /// <summary>
    /// Merge outputs get ids above the active file's, so at the next open they are replayed after the newer records of
    /// the active file: only sequence numbers (and the tombstones remembered during replay) keep the old copies dead.
    /// </summary>
    [Fact]
    public async Task Records_written_after_a_merge_into_an_older_file_than_its_outputs_win_at_reopen()
    {
        await using (var store = LogPartitionStore.Open(Options()))
        {
            for (int i = 0; i < 60; i++)
            {
                await store.WriteAsync(1, Key("k" + i), Value("old" + i));
                await store.WriteAsync(2, Key("k" + i), Value("old" + i));
            }
            int active = ActiveFileId();
            var result = await store.MergeAsync();
            Assert.True(result.Outputs > 0);
            Assert.True(LogTestFiles.DataFiles(_dir).Max(IdOf) > active, "the merge outputs are named after the active file");
            await store.RemoveAsync(1, Key("k0"));
            await store.RemoveAsync(1, Key("k1"), Value("old1"));
            await store.WriteAsync(1, Key("k2"), Value("new"));
            await store.DropPartitionAsync(2);
            Assert.Equal(active, ActiveFileId());
        }
        await using (var reopened = LogPartitionStore.Open(Options()))
        {
            Assert.Null(await reopened.ReadAsync(1, Key("k0")));
            Assert.Null(await reopened.ReadAsync(1, Key("k1")));
            Assert.Equal(Value("new"), await reopened.ReadAsync(1, Key("k2")));
            Assert.Equal(Value("old3"), await reopened.ReadAsync(1, Key("k3")));
            Assert.Equal(new PartitionSummary(2, 0, 0), await reopened.SummarizeAsync(2));
            Assert.Equal(58, (await reopened.SummarizeAsync(1)).KeyCount);
        }
    }

    [Fact]
    public async Task A_merge_racing_writes_removes_drops_and_reads_loses_nothing_and_resurrects_nothing()
    {
        var models = Enumerable.Range(0, 4).Select(_ => new LogStoreContents()).ToArray();
        int merges = 0;
        await using (var store = LogPartitionStore.Open(Options()))
        {
            using var done = new CancellationTokenSource();
            // Each worker owns one partition (callers serialize per key, as the partition grain does). Workers go on
            // until merges have run beside them (bounded), yielding so every task interleaves on the pool's few threads.
            var workers = Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
            {
                var random = new Random(p);
                var model = models[p];
                for (int i = 0; i < 1500 || Volatile.Read(ref merges) < 5; i++)
                {
                    Assert.True(i < 200_000, "merges did not run beside the writers");
                    await Task.Yield();
                    var key = Key("k" + random.Next(60));
                    int what = random.Next(20);
                    if (what < 12) await model.WriteAsync(store, p, key, Value($"{p}:{i}"));
                    else if (what < 16) await model.RemoveAsync(store, p, key);
                    else if (what < 19) await model.RemoveAsync(store, p, key, model.Expected.GetValueOrDefault((p, key)) ?? Value("none"));
                    else if (p == 3) await model.DropAsync(store, p);
                }
            })).ToList();
            var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
            {
                var random = new Random(100 + r);
                while (!done.IsCancellationRequested)
                {
                    int p = random.Next(4);
                    var set = await store.ReadAsync(p, Key("k" + random.Next(60)));
                    Assert.True(set is null || set.Siblings.Single().Value.AsSpan().StartsWith(System.Text.Encoding.UTF8.GetBytes($"{p}:")));
                    if (random.Next(50) == 0) await LogStoreContents.ReadAll(store, [p]);
                    await Task.Yield();
                }
            })).ToList();
            var merger = Task.Run(async () =>
            {
                while (!done.IsCancellationRequested)
                {
                    var result = await store.MergeAsync();
                    if (result.Inputs > 0) Interlocked.Increment(ref merges);
                }
            });
            try
            {
                await Task.WhenAll(workers);
            }
            finally
            {
                await done.CancelAsync();
                await Task.WhenAll(readers.Append(merger));
            }
            for (int p = 0; p < 4; p++) await models[p].AssertHeldBy(store, [p]);
            await store.MergeAsync();
            for (int p = 0; p < 4; p++) await models[p].AssertHeldBy(store, [p]);
        }
        await using (var reopened = LogPartitionStore.Open(Options()))
        {
            for (int p = 0; p < 4; p++) await models[p].AssertHeldBy(reopened, [p]);
        }
    }

    /// <summary>The merge reads its inputs through a 1 MiB buffer: records that straddle its end are copied and swapped too.</summary>
    [Fact]
    public async Task A_merge_of_files_larger_than_its_page_copies_and_swaps_records_straddling_pages()
    {
        var contents = new LogStoreContents();
        var random = new Random(5);
        await using (var store = LogPartitionStore.Open(Options(o => o.FileSizeBytes = 3 * 1024 * 1024)))
        {
            for (int i = 0; i < 6000; i++)
            {
                var value = new byte[1000 + random.Next(3000)];
                random.NextBytes(value);
                await contents.WriteAsync(store, i % 3, Key("k" + random.Next(2500)), Value(value));
            }
            Assert.True(store.Stats.SealedBytes > 4 * 1024 * 1024);
            var result = await store.MergeAsync();
            Assert.True(result.BytesRead > 2 * 1024 * 1024);
            await contents.AssertHeldBy(store, [0, 1, 2]);
            Assert.Equal(0, store.Stats.SealedDeadBytes);
        }
        await using (var reopened = LogPartitionStore.Open(Options())) await contents.AssertHeldBy(reopened, [0, 1, 2]);
    }

    [Fact]
    public async Task A_background_merge_starts_once_dead_bytes_pass_both_the_share_and_the_floor()
    {
        await using var store = LogPartitionStore.Open(Options(o =>
        {
            o.MergeCheckInterval = TimeSpan.FromMinutes(10); // only rollovers wake the merger in this test
            o.MergeMinDeadBytes = 64 * 1024;
            o.MergeDeadShare = 0.5;
        }));
        var value = Value(new string('v', 400));
        // Unique keys: files fill, nothing is dead, no merge is due.
        for (int i = 0; i < 400; i++) await store.WriteAsync(1, Key("u" + i), value);
        Assert.False(store.MergeDue);
        // Overwrites: dead bytes grow past half of the closed files, and past the floor.
        for (int round = 0; !store.MergeDue; round++)
        {
            Assert.True(round < 10, "no merge became due");
            for (int i = 0; i < 400; i++) await store.WriteAsync(1, Key("u" + i), value);
        }
        var stats = store.Stats;
        Assert.True(stats.Merges > 0 || stats.SealedDeadBytes >= 64 * 1024 && stats.SealedDeadBytes >= stats.SealedBytes / 2);
        // The next rollover wakes the merger, which finds the merge due.
        for (int i = 0; i < 20; i++) await store.WriteAsync(1, Key("u" + i), value);
        Assert.True(SpinWait.SpinUntil(() => store.Stats.Merges > 0, TimeSpan.FromSeconds(30)), "no background merge ran");
        Assert.Equal(400, (await store.SummarizeAsync(1)).KeyCount);
        for (int i = 0; i < 400; i++) Assert.Equal(value, await store.ReadAsync(1, Key("u" + i)));
    }

    [Fact]
    public async Task A_dead_share_under_the_threshold_or_dead_bytes_under_the_floor_start_no_merge()
    {
        await using (var store = LogPartitionStore.Open(Options(o => o.MergeMinDeadBytes = 1024 * 1024)))
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < 100; i++) await store.WriteAsync(1, Key("k" + i), Value(new string('x', 300)));
            }
            var stats = store.Stats;
            Assert.True(stats.SealedDeadBytes > stats.SealedBytes / 2, "more than half is dead");
            Assert.False(store.MergeDue, "but less than the floor");
        }
        DeleteDirectory(_dir);
        await using (var store = LogPartitionStore.Open(Options(o => o.MergeMinDeadBytes = 0)))
        {
            for (int i = 0; i < 300; i++) await store.WriteAsync(1, Key("k" + i), Value(new string('x', 300)));
            for (int i = 0; i < 50; i++) await store.WriteAsync(1, Key("k" + i), Value(new string('y', 300)));
            var stats = store.Stats;
            Assert.True(stats.SealedDeadBytes > 0 && stats.SealedDeadBytes < stats.SealedBytes / 2);
            Assert.False(store.MergeDue, "some bytes are dead, but under half");
        }
    }

    [Fact]
    public async Task A_paced_merge_takes_at_least_the_time_its_pace_asks_for()
    {
        await using var store = LogPartitionStore.Open(Options(o => o.MergeBytesPerSecond = 2 * 1024 * 1024));
        for (int i = 0; i < 4000; i++) await store.WriteAsync(1, Key("k" + i % 500), Value(new string('x', 900)));
        long sealedBytes = store.Stats.SealedBytes;
        Assert.True(sealedBytes > 3 * 1024 * 1024);
        var clock = Stopwatch.StartNew();
        var result = await store.MergeAsync();
        // Pacing rests after each 1 MiB page: the last page is not waited for.
        double floor = (double)(result.BytesRead - 1024 * 1024) / (2 * 1024 * 1024);
        Assert.True(clock.Elapsed.TotalSeconds >= floor, $"read {result.BytesRead} bytes in {clock.Elapsed.TotalSeconds:F2} s, pace asks {floor:F2} s");
        Assert.Equal(500, (await store.SummarizeAsync(1)).KeyCount);
    }

    /// <summary>A host's pacer (a silo's admission) as the merge sees it: each unit entered and left, and a gate it can hold shut.</summary>
    private sealed class RecordingPacer(double pace) : IBackgroundPacer
    {
        private readonly object _lock = new();
        private bool _inside;

        public List<(TimeSpan Entered, TimeSpan Left)> Units { get; } = [];
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public ManualResetEventSlim Open { get; } = new(initialState: true);
        public bool Overlapped { get; private set; }
        public int Waiting;

        public double Pace => pace;

        public IDisposable Enter(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Waiting);
            try
            {
                Open.Wait(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref Waiting);
            }
            var entered = Clock.Elapsed;
            lock (_lock)
            {
                Overlapped |= _inside;
                _inside = true;
            }
            return new Unit(this, entered);
        }

        private sealed class Unit(RecordingPacer owner, TimeSpan entered) : IDisposable
        {
            public void Dispose()
            {
                lock (owner._lock)
                {
                    owner._inside = false;
                    owner.Units.Add((entered, owner.Clock.Elapsed));
                }
            }
        }
    }

    /// <summary>A store whose closed files hold more than 3 MiB, seven eighths of it dead (urgent unless <paramref name="urgentShare"/> says not).</summary>
    private async Task<LogPartitionStore> StoreWithDeadMegabytes(IBackgroundPacer pacer, double urgentShare = 0.7)
    {
        var store = LogPartitionStore.Open(Options(o =>
        {
            o.MergePacer = pacer;
            o.MergeUrgentDeadShare = urgentShare;
        }));
        for (int i = 0; i < 4000; i++) await store.WriteAsync(1, Key("k" + i % 500), Value(new string('x', 900)));
        Assert.True(store.Stats.SealedBytes > 3 * 1024 * 1024);
        return store;
    }

    /// <summary>
    /// Issue 20: a merge yields to the host's foreground. Each 1 MiB page enters the pacer (one at a time) and, at a pace of
    /// 0.25, rests three times as long as it worked; what it writes is unchanged.
    /// </summary>
    [Fact]
    public async Task Issue_20_a_merge_enters_the_hosts_pacer_for_each_page_and_rests_as_its_pace_asks()
    {
        var pacer = new RecordingPacer(0.25);
        await using var store = await StoreWithDeadMegabytes(pacer, urgentShare: 1);

        var result = await store.MergeAsync();

        Assert.False(pacer.Overlapped, "two pages of one merge held the pacer at once");
        Assert.True(pacer.Units.Count >= result.BytesRead / (1024 * 1024), $"{pacer.Units.Count} units for {result.BytesRead} bytes read");
        var worked = TimeSpan.FromTicks(pacer.Units.Sum(u => (u.Left - u.Entered).Ticks));
        var rested = TimeSpan.FromTicks(pacer.Units.Zip(pacer.Units.Skip(1), (a, b) => (b.Entered - a.Left).Ticks).Sum());
        // The last page is not followed by a rest; each rest is 3x its page's work as the merge timed it (a little less than here).
        var lastWorked = pacer.Units[^1].Left - pacer.Units[^1].Entered;
        Assert.True(rested >= 2 * (worked - lastWorked), $"worked {worked.TotalMilliseconds:F1} ms, rested {rested.TotalMilliseconds:F1} ms");
        Assert.Equal(500, (await store.SummarizeAsync(1)).KeyCount);
        Assert.Equal(0, store.Stats.SealedDeadBytes);
    }

    /// <summary>Issue 20: while the host holds its pacer shut a merge does not start; closing the store then ends it cleanly.</summary>
    [Fact]
    public async Task Issue_20_a_merge_waits_while_the_hosts_pacer_holds_it_and_gives_up_when_the_store_closes()
    {
        var pacer = new RecordingPacer(1);
        await using (var store = await StoreWithDeadMegabytes(pacer, urgentShare: 1))
        {
            pacer.Open.Reset();
            var merge = store.MergeAsync();
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref pacer.Waiting) == 1, TimeSpan.FromSeconds(10)), "the merge did not wait for the pacer");
            Assert.False(merge.IsCompleted);
            Assert.Equal(0, store.Stats.Merges);

            pacer.Open.Set();
            var result = await merge.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(result.Inputs > 0);
            Assert.Equal(1, store.Stats.Merges);
        }

        var shut = new RecordingPacer(1);
        shut.Open.Reset();
        Task<LogMergeResult> waiting;
        var contents = new LogStoreContents();
        DeleteDirectory(_dir);
        var second = LogPartitionStore.Open(Options(o =>
        {
            o.MergePacer = shut;
            o.MergeUrgentDeadShare = 1;
        }));
        for (int i = 0; i < 4000; i++) await contents.WriteAsync(second, 1, Key("k" + i % 500), Value(new string('y', 900)));
        waiting = second.MergeAsync();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref shut.Waiting) == 1, TimeSpan.FromSeconds(10)), "the merge did not wait for the pacer");
        await second.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await using var reopened = LogPartitionStore.Open(Options());
        await contents.AssertHeldBy(reopened, [1]);
    }

    /// <summary>
    /// Issue 20: a foreground that holds the pacer shut cannot grow the files without bound: a merge whose inputs are at
    /// least <see cref="LogStoreOptions.MergeUrgentDeadShare"/> dead runs without it. Under that share it waits.
    /// </summary>
    [Fact]
    public async Task Issue_20_a_merge_of_files_mostly_dead_does_not_wait_for_the_hosts_pacer()
    {
        var pacer = new RecordingPacer(0.05);
        pacer.Open.Reset();
        // 4,000 writes over 500 keys: seven eighths of the closed files are dead.
        await using (var store = await StoreWithDeadMegabytes(pacer))
        {
            Assert.True(store.Stats.SealedDeadBytes > 0.8 * store.Stats.SealedBytes);
            var result = await store.MergeAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(result.Inputs > 0);
            Assert.Empty(pacer.Units);
            Assert.Equal(0, Volatile.Read(ref pacer.Waiting));
        }

        DeleteDirectory(_dir);
        await using (var store = LogPartitionStore.Open(Options(o =>
        {
            o.MergePacer = pacer;
            o.MergeUrgentDeadShare = 0.95;
        })))
        {
            for (int i = 0; i < 4000; i++) await store.WriteAsync(1, Key("k" + i % 500), Value(new string('x', 900)));
            var merge = store.MergeAsync();
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref pacer.Waiting) == 1, TimeSpan.FromSeconds(10)), "under the urgent share the merge waits");
            pacer.Open.Set();
            await merge.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    [Fact]
    public async Task A_merge_committed_but_interrupted_before_deleting_its_inputs_is_completed_at_open()
    {
        string values = Path.Combine(_dir, LogStoreOptions.ValuesFolder);
        var (contents, inputs, outputs) = await MergeKeepingInputsAsync();
        Assert.NotEmpty(outputs);
        // The crash came after the commit record was written and the outputs renamed, before any input was deleted.
        MergeCommit.Write(values, 999_999, outputs.Select(IdOf), inputs.Select(IdOf));
        var warnings = new List<string>();
        await using (var reopened = LogPartitionStore.Open(Options(o => o.Warning = warnings.Add)))
        {
            Assert.Equal(1, reopened.Recovery.MergesCompleted);
            Assert.Contains(warnings, w => w.Contains("completed a merge", StringComparison.Ordinal));
            Assert.All(inputs, f => Assert.False(File.Exists(f)));
            Assert.Empty(Directory.GetFiles(values, "*.commit"));
            await contents.AssertHeldBy(reopened, Partitions);
        }
    }

    [Fact]
    public async Task The_outputs_of_a_merge_that_did_not_commit_are_deleted_at_open_and_its_inputs_replayed()
    {
        string values = Path.Combine(_dir, LogStoreOptions.ValuesFolder);
        var (contents, _, outputs) = await MergeKeepingInputsAsync();
        // The crash came before the commit record: the outputs are still .merge files and every input is there.
        foreach (var f in outputs) File.Move(f, Path.ChangeExtension(f, ".merge"));
        await using (var reopened = LogPartitionStore.Open(Options()))
        {
            Assert.Empty(Directory.GetFiles(values, "*.merge"));
            Assert.Equal(0, reopened.Recovery.MergesCompleted);
            await contents.AssertHeldBy(reopened, Partitions);
        }
    }

    /// <summary>
    /// Churns a store, merges it, and puts the merge's inputs back as they were before it (copies taken first): the disk
    /// of a crash in the middle of the merge, for the test to finish (a commit record, or outputs not yet renamed).
    /// </summary>
    private async Task<(LogStoreContents Contents, string[] Inputs, string[] Outputs)> MergeKeepingInputsAsync()
    {
        var contents = new LogStoreContents();
        string backup = Path.Combine(_dir, "backup");
        string[] inputs, outputs;
        await using (var store = LogPartitionStore.Open(Options()))
        {
            await LogReopenTests.Churn(store, contents, rounds: 800);
            inputs = LogTestFiles.DataFiles(_dir).SkipLast(1).ToArray();
            Directory.CreateDirectory(backup);
            foreach (var f in inputs) File.Copy(f, Path.Combine(backup, Path.GetFileName(f)));
            await store.MergeAsync();
            outputs = LogTestFiles.DataFiles(_dir).Where(f => IdOf(f) > inputs.Max(IdOf) + 1).ToArray();
        }
        foreach (var f in inputs) File.Copy(Path.Combine(backup, Path.GetFileName(f)), f);
        return (contents, inputs, outputs);
    }

    private int ActiveFileId() => LogTestFiles.DataFiles(_dir).Where(f => LogFileKind(f) == 1).Max(IdOf);

    private static int IdOf(string path) => int.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);

    private static byte LogFileKind(string path)
    {
        using var f = File.OpenRead(path);
        var header = new byte[16];
        f.ReadExactly(header);
        return header[10];
    }
}
