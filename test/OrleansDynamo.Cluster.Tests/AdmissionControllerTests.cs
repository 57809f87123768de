using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.Diagnostics;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 7: the background admission controller (Dynamo §6.5), driven by hand-fed latencies and a manual clock.</summary>
public sealed class AdmissionControllerTests
{
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = TimeSpan.FromDays(1).Ticks;

        public override long GetTimestamp() => _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(_ticks);

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private static AdmissionOptions Options() => new() { MaxSlots = 8, MinSlots = 1, TargetP99Ms = 50, WindowMs = 5000, MinSamples = 20 };

    private static void Feed(AdmissionController c, int count, double ms)
    {
        for (int i = 0; i < count; i++) c.OnRequest(new RequestEvent("get", RequestSide.Coordinator, TimeSpan.FromMilliseconds(ms), null, 1, -1));
    }

    [Fact]
    public async Task Grants_up_to_the_slots_then_queues_in_arrival_order_until_a_slot_is_returned()
    {
        var c = new AdmissionController(new AdmissionOptions { MaxSlots = 2, MinSlots = 1 }, new ManualTime());
        var a = await c.AcquireAsync(BackgroundWork.AntiEntropyExchange, default);
        var b = await c.AcquireAsync(BackgroundWork.MerkleBuild, default);
        var third = c.AcquireAsync(BackgroundWork.HintDelivery, default).AsTask();
        var fourth = c.AcquireAsync(BackgroundWork.OwnershipTransfer, default).AsTask();
        Assert.False(third.IsCompleted);
        Assert.Equal(2, c.Status().Waiting);
        Assert.Equal(1, c.Status().InUseByKind[BackgroundWork.MerkleBuild]);

        a.Dispose();
        a.Dispose(); // idempotent: gives back one slot only
        var t = await third.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(fourth.IsCompleted);
        Assert.Equal(2, c.InUse);
        b.Dispose();
        (await fourth.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        t.Dispose();
        Assert.Equal(0, c.InUse);
    }

    [Fact]
    public void A_p99_over_the_target_halves_the_slots_down_to_the_minimum_and_a_healthy_one_gives_them_back_one_by_one()
    {
        var time = new ManualTime();
        var c = new AdmissionController(Options(), time);
        Feed(c, 95, 5);
        Feed(c, 5, 400); // p99 = 400 ms
        c.Adjust();
        Assert.Equal(4, c.Slots);
        Assert.Equal(400, c.Status().ForegroundP99Ms);
        c.Adjust();
        c.Adjust();
        c.Adjust();
        Assert.Equal(1, c.Slots); // never below MinSlots
        Assert.Equal(3, c.Status().Shrinks);

        time.Advance(TimeSpan.FromSeconds(6)); // the slow requests leave the window
        Feed(c, 200, 5);
        c.Adjust();
        Assert.Equal(2, c.Slots);
        for (int i = 0; i < 10; i++) c.Adjust();
        Assert.Equal(8, c.Slots); // never above MaxSlots
    }

    [Fact]
    public void Too_few_samples_count_as_an_idle_foreground_and_the_slots_grow()
    {
        var c = new AdmissionController(Options(), new ManualTime());
        Feed(c, 100, 500);
        c.Adjust();
        Assert.Equal(4, c.Slots);
        var idle = new AdmissionController(Options(), new ManualTime());
        Feed(idle, 5, 500); // 5 < MinSamples: not enough to judge
        idle.Adjust();
        Assert.Equal(8, idle.Slots);
    }

    [Fact]
    public async Task After_a_shrink_holders_keep_their_slots_and_new_work_waits_until_in_use_is_below_the_new_limit()
    {
        var c = new AdmissionController(new AdmissionOptions { MaxSlots = 4, MinSlots = 1, TargetP99Ms = 10, MinSamples = 1 }, new ManualTime());
        var held = new List<IDisposable>();
        for (int i = 0; i < 4; i++) held.Add(await c.AcquireAsync(BackgroundWork.AntiEntropyExchange, default));
        Feed(c, 50, 100);
        c.Adjust(); // 4 -> 2
        Assert.Equal(2, c.Slots);
        Assert.Equal(4, c.InUse);
        var waiting = c.AcquireAsync(BackgroundWork.MerkleBuild, default).AsTask();
        held[0].Dispose();
        held[1].Dispose();
        Assert.False(waiting.IsCompleted); // 2 in use = 2 slots
        held[2].Dispose();
        (await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        held[3].Dispose();
        Assert.Equal(0, c.InUse);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_queue_and_takes_no_slot()
    {
        var c = new AdmissionController(new AdmissionOptions { MaxSlots = 1, MinSlots = 1 }, new ManualTime());
        var only = await c.AcquireAsync(BackgroundWork.AntiEntropyExchange, default);
        using var cts = new CancellationTokenSource();
        var cancelled = c.AcquireAsync(BackgroundWork.MerkleBuild, cts.Token).AsTask();
        var next = c.AcquireAsync(BackgroundWork.HintDelivery, default).AsTask();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, c.Status().Waiting);
        only.Dispose();
        (await next.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        Assert.Equal(0, c.InUse);
        Assert.Equal(0, c.Status().Waiting);
    }

    private static AdmissionOptions PaceOptions() => new()
    {
        TargetP99Ms = 100, WindowMs = 5000, PaceWindowMs = 2000, MinSamples = 20, PaceTargetFactor = 1.5, PaceFloorMs = 5, MinPace = 0.05, PaceStep = 0.1, StartPace = 0.25,
    };

    [Fact]
    public async Task Issue_20_the_pace_halves_while_the_foreground_p99_is_above_1_5x_the_baseline_measured_before_the_transfer_and_grows_back_by_steps()
    {
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        Feed(c, 200, 10); // baseline: p99 10 ms, no transfer yet
        c.Adjust();
        Assert.Equal(10, c.Status().BaselineP99Ms);
        Assert.Equal(15, c.Status().PaceTargetMs);
        Assert.Equal(1, c.Pace);

        // A transfer runs (holding a slot): it starts at the start pace; a p99 of 14 ms is within 1.5x, so the pace grows
        // by steps to 1; 20 ms is not within 1.5x (though far under the 100 ms slot target).
        using var transfer = await c.AcquireAsync(BackgroundWork.OwnershipTransfer, default);
        Assert.Equal(0.25, c.Pace);
        time.Advance(TimeSpan.FromSeconds(3));
        Feed(c, 200, 14);
        c.Adjust();
        Assert.Equal(0.35, c.Pace, 6);
        for (int i = 0; i < 7; i++) c.Adjust();
        Assert.Equal(1, c.Pace);
        time.Advance(TimeSpan.FromSeconds(3));
        Feed(c, 200, 20);
        c.Adjust();
        Assert.Equal(0.5, c.Pace);
        c.Adjust();
        c.Adjust();
        Assert.Equal(0.125, c.Pace, 6);
        Assert.Equal(3, c.Status().PaceCuts);
        Assert.Equal(4, c.Slots); // the slots answer to TargetP99Ms (100 ms) only: unchanged
        Assert.Equal(10, c.Status().BaselineP99Ms); // the slow windows ran beside a transfer: not a baseline

        for (int i = 0; i < 10; i++) c.Adjust();
        Assert.Equal(0.05, c.Pace, 6); // never below MinPace

        time.Advance(TimeSpan.FromSeconds(3)); // the slow requests leave the pace window
        Feed(c, 200, 10);
        c.Adjust();
        Assert.Equal(0.15, c.Pace, 6); // additive increase
        for (int i = 0; i < 20; i++) c.Adjust();
        Assert.Equal(1, c.Pace); // never above 1
    }

    [Fact]
    public async Task Issue_20_a_transfer_after_a_quiet_window_starts_at_the_start_pace_and_one_soon_after_another_keeps_the_pace_it_reached()
    {
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        Feed(c, 200, 10);
        c.Adjust();
        Assert.Equal(1, c.Pace); // idle of paced work: full pace

        c.NotePacedWork(); // a receiver's first page after a quiet stretch
        Assert.Equal(0.25, c.Pace);
        for (int i = 0; i < 10; i++) c.Adjust();
        Assert.Equal(1, c.Pace);
        time.Advance(TimeSpan.FromSeconds(1));
        using (await c.AcquireAsync(BackgroundWork.OwnershipTransfer, default))
            Assert.Equal(1, c.Pace); // 1 s after the last page: the same change going on, not a new start

        time.Advance(TimeSpan.FromSeconds(6)); // a whole window (5 s) without paced work
        using (await c.AcquireAsync(BackgroundWork.OwnershipTransfer, default))
            Assert.Equal(0.25, c.Pace);
        using (await c.AcquireAsync(BackgroundWork.AntiEntropyExchange, default))
            Assert.Equal(0.25, c.Pace); // other background work does not pace
    }

    [Fact]
    public async Task Issue_16_a_merkle_build_is_paced_work_it_starts_slow_after_a_quiet_window_and_no_baseline_is_taken_while_it_runs()
    {
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        Feed(c, 200, 10);
        c.Adjust();
        Assert.Equal(10, c.Status().BaselineP99Ms);

        using (await c.AcquireAsync(BackgroundWork.MerkleBuild, default))
        {
            Assert.Equal(0.25, c.Pace); // slow start, as a transfer
            time.Advance(TimeSpan.FromSeconds(6));
            Feed(c, 200, 40); // the build's own cost: no baseline, and over 1.5 x 10 ms, so the pace halves
            c.Adjust();
            Assert.Equal(10, c.Status().BaselineP99Ms);
            Assert.Equal(0.125, c.Pace, 6);
        }
        Assert.True(BackgroundWork.MerkleBuild.IsPaced());
        Assert.False(BackgroundWork.AntiEntropyExchange.IsPaced());
        Assert.False(BackgroundWork.HintDelivery.IsPaced());
        Assert.Equal(TimeSpan.FromMilliseconds(70), BackgroundWorkKinds.RestAfter(TimeSpan.FromMilliseconds(10), 0.125));
        Assert.Equal(TimeSpan.Zero, BackgroundWorkKinds.RestAfter(TimeSpan.FromMilliseconds(10), 1));
        Assert.Equal(TimeSpan.FromSeconds(10), BackgroundWorkKinds.RestAfter(TimeSpan.FromSeconds(5), 0.05)); // at most 10 s
    }

    /// <summary>
    /// The log engine's merges pace through <see cref="StoreMergePacer"/>: each page takes a LogMerge slot and follows the
    /// pace without starting slowly itself, waits while a transfer runs here and for a window after, and waits while the
    /// slots are held.
    /// </summary>
    [Fact]
    public async Task Issue_20_a_log_merge_page_takes_a_slot_through_the_stores_pacer_rests_by_the_pace_and_waits_for_transfers_and_free_slots()
    {
        var time = new ManualTime();
        var options = PaceOptions();
        options.MaxSlots = 1;
        var c = new AdmissionController(options, time);
        var pacer = new StoreMergePacer(() => c);
        Feed(c, 200, 10);
        c.Adjust();
        Assert.Equal(1, pacer.Pace);

        using (pacer.Enter(default))
        {
            Assert.Equal(1, c.Status().InUseByKind[BackgroundWork.LogMerge]);
            Assert.Equal(1, pacer.Pace); // no slow start: a merge is not paced work itself
        }
        Assert.False(BackgroundWork.LogMerge.IsPaced());
        using (await c.AcquireAsync(BackgroundWork.MerkleBuild, default))
            Assert.Equal(0.25, pacer.Pace); // but it rests by the pace, whatever set it
        time.Advance(TimeSpan.FromSeconds(6));

        // While a transfer runs here (a page sent, or received) and for a window after, a merge's page waits.
        var transfer = await c.AcquireAsync(BackgroundWork.OwnershipTransfer, default);
        Assert.True(c.TransferRunning);
        var page = Task.Run(() => pacer.Enter(default));
        Assert.False(SpinWait.SpinUntil(() => page.IsCompleted, 3 * StoreMergePacer.TransferCheck), "a merge page ran during a transfer");
        transfer.Dispose();
        Assert.False(SpinWait.SpinUntil(() => page.IsCompleted, 3 * StoreMergePacer.TransferCheck), "a merge page ran within a window of a transfer page");
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.False(c.TransferRunning);
        using (await page.WaitAsync(TimeSpan.FromSeconds(10)))
            Assert.Equal(1, c.Status().InUseByKind[BackgroundWork.LogMerge]);
        c.NotePacedWork(10); // a page received
        Assert.True(c.TransferRunning);
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.False(c.TransferRunning);

        // With the one slot held by a tree build, the merge's page queues until it is given back.
        var build = await c.AcquireAsync(BackgroundWork.MerkleBuild, default);
        var queued = Task.Run(() => pacer.Enter(default));
        Assert.True(SpinWait.SpinUntil(() => c.Status().Waiting == 1, TimeSpan.FromSeconds(10)), "the page did not queue");
        Assert.False(queued.IsCompleted);
        build.Dispose();
        using (await queued.WaitAsync(TimeSpan.FromSeconds(10)))
            Assert.Equal(1, c.Status().InUseByKind[BackgroundWork.LogMerge]);

        // Before the silo has its controller (the store opens first) a page runs at once, at full pace.
        var none = new StoreMergePacer(() => null);
        using (none.Enter(default)) Assert.Equal(1, none.Pace);
    }

    [Fact]
    public async Task Issue_20_a_baseline_is_measured_while_merkle_builds_run_so_the_next_join_is_paced_against_it()
    {
        // After a bulk load the trees build for minutes (paced work, holding a slot): the steady state a join meets.
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        using var build = await c.AcquireAsync(BackgroundWork.MerkleBuild, default);
        time.Advance(TimeSpan.FromSeconds(6));
        Feed(c, 200, 8);
        c.Adjust();
        Assert.Equal(8, c.Status().BaselineP99Ms);
        Assert.Equal(12, c.Status().PaceTargetMs);

        // The join: a transfer page whose foreground p99 doubled is paced down, not run at full speed under the 100 ms slot target.
        using var transfer = await c.AcquireAsync(BackgroundWork.OwnershipTransfer, default);
        time.Advance(TimeSpan.FromSeconds(3));
        Feed(c, 200, 16);
        c.Adjust();
        Assert.True(c.Pace < 0.25, $"pace {c.Pace} with the foreground p99 at twice its baseline");
        Assert.Equal(8, c.Status().BaselineP99Ms); // measured beside a transfer: not a baseline
    }

    [Fact]
    public async Task Issue_20_beside_merkle_builds_a_baseline_taken_under_a_heavier_load_comes_down_but_never_goes_up()
    {
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        Feed(c, 200, 50); // a bulk load, nothing paced yet: a baseline of 50 ms
        c.Adjust();
        Assert.Equal(50, c.Status().BaselineP99Ms);

        using var build = await c.AcquireAsync(BackgroundWork.MerkleBuild, default);
        time.Advance(TimeSpan.FromSeconds(6));
        Feed(c, 200, 8); // the steady workload beside the builds
        c.Adjust();
        Assert.Equal(0.8 * 50 + 0.2 * 8, c.Status().BaselineP99Ms!.Value, 6);
        for (int i = 0; i < 30; i++) c.Adjust();
        Assert.InRange(c.Status().BaselineP99Ms!.Value, 8, 8.1);

        time.Advance(TimeSpan.FromSeconds(6));
        Feed(c, 200, 40); // the builds' own cost: not a baseline
        c.Adjust();
        Assert.InRange(c.Status().BaselineP99Ms!.Value, 8, 8.1);
    }

    [Fact]
    public void Issue_20_the_baseline_moves_only_once_no_transfer_ran_for_a_whole_window_and_the_target_keeps_to_its_floor_and_ceiling()
    {
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        Assert.Equal(100, c.Status().PaceTargetMs); // no baseline yet: the slot target
        Feed(c, 200, 1);
        c.Adjust();
        Assert.Equal(5, c.Status().PaceTargetMs); // 1.5 x 1 ms is under the 5 ms floor

        c.NotePacedWork(); // a transfer page received here
        time.Advance(TimeSpan.FromSeconds(4));
        Feed(c, 200, 300);
        c.Adjust();
        Assert.Equal(1, c.Status().BaselineP99Ms); // 4 s after paced work: within the 5 s window, no baseline
        time.Advance(TimeSpan.FromSeconds(2));
        Feed(c, 200, 300);
        c.Adjust();
        Assert.Equal(0.8 * 1 + 0.2 * 300, c.Status().BaselineP99Ms!.Value, 6); // quiet for 6 s: the window counts
        Assert.Equal(1.5 * 60.8, c.Status().PaceTargetMs, 6);
        for (int i = 0; i < 5; i++) c.Adjust(); // the baseline grows towards 300 ms: the target stops at TargetP99Ms
        Assert.Equal(100, c.Status().PaceTargetMs);
    }

    [Fact]
    public void Issue_20_a_silo_with_no_baseline_of_its_own_paces_against_its_senders_until_it_has_one()
    {
        var time = new ManualTime();
        var c = new AdmissionController(PaceOptions(), time);
        Assert.Null(c.BaselineP99Ms);
        c.NotePacedWork(); // a new silo's first page, from a sender without a baseline either: no target but the slot target
        Feed(c, 200, 30);
        c.Adjust();
        Assert.Equal(100, c.Status().PaceTargetMs);
        Assert.Equal(0.35, c.Pace, 6); // 30 ms is under 100 ms: the start pace grows

        c.NotePacedWork(senderBaselineMs: 8); // a page from a sender whose foreground p99 is 8 ms when quiet
        Assert.Equal(8, c.BaselineP99Ms);
        Assert.Equal(12, c.Status().PaceTargetMs); // 1.5 x the sender's 8 ms
        Feed(c, 200, 30);
        c.Adjust();
        Assert.Equal(0.175, c.Pace, 6); // 30 ms is over 12 ms: the receiver asks its senders to slow down
        c.NotePacedWork(senderBaselineMs: 10); // the latest sender's baseline counts
        Assert.Equal(15, c.Status().PaceTargetMs);

        time.Advance(TimeSpan.FromSeconds(6)); // quiet for a whole window: the silo's own baseline replaces the borrowed one
        Feed(c, 200, 4);
        c.Adjust();
        Assert.Equal(4, c.BaselineP99Ms);
        c.NotePacedWork(senderBaselineMs: 20);
        Assert.Equal(4, c.BaselineP99Ms);
        Assert.Equal(6, c.Status().PaceTargetMs);
    }

    [Fact]
    public void Issue_20_a_joining_silo_samples_none_of_the_requests_it_coordinates_so_its_warm_up_share_does_not_slow_its_senders()
    {
        var time = new ManualTime();
        bool joining = true;
        var c = new AdmissionController(PaceOptions(), time) { Joining = () => joining };
        c.NotePacedWork(senderBaselineMs: 8); // pages arrive: pace target 12 ms
        c.Adjust();
        Feed(c, 200, 30); // its warm-up share, read through to the senders: 30 ms, over the target
        c.Adjust();
        Assert.Equal(0, c.Status().Samples);
        Assert.Equal(0, c.Status().PaceCuts);
        Assert.Equal(0.45, c.Pace, 6); // the slow start grows as with an idle foreground: its senders' pace alone decides

        joining = false; // every partition received: from the next adjustment on, its requests count
        c.Adjust();
        double before = c.Pace;
        Feed(c, 200, 30);
        c.Adjust();
        Assert.Equal(200, c.Status().Samples);
        Assert.Equal(1, c.Status().PaceCuts);
        Assert.Equal(before / 2, c.Pace, 6);
    }

    [Fact]
    public void Issue_20_only_requests_this_silo_coordinated_count_not_its_replica_work()
    {
        var c = new AdmissionController(PaceOptions(), new ManualTime());
        for (int i = 0; i < 500; i++) c.OnRequest(new RequestEvent("get", RequestSide.Replica, TimeSpan.FromMilliseconds(300), null, 1, 7));
        c.Adjust();
        Assert.Null(c.Status().ForegroundP99Ms); // a replica's reads (here read-throughs) are no foreground sample
        Assert.Equal(0, c.Status().Samples);
        Feed(c, 200, 4);
        c.Adjust();
        Assert.Equal(4, c.Status().ForegroundP99Ms);
        Assert.Equal(4, c.BaselineP99Ms);
    }

    [Fact]
    public void Invalid_settings_are_refused_naming_the_field()
    {
        var pace = new AdmissionOptions { PaceTargetFactor = 0.5, MinPace = 0, PaceStep = 2, PaceWindowMs = 1, PaceFloorMs = 0, StartPace = 1.5 }.Validate();
        foreach (var field in new[] { "PaceTargetFactor", "MinPace", "PaceStep", "PaceWindowMs", "PaceFloorMs", "StartPace" })
            Assert.Contains(pace, e => e.StartsWith("Silo:Admission:" + field, StringComparison.Ordinal));
        var errors = new AdmissionOptions { MinSlots = 0, MaxSlots = 0, TargetP99Ms = -1 }.Validate();
        Assert.Contains(errors, e => e.StartsWith("Silo:Admission:MinSlots", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Silo:Admission:TargetP99Ms", StringComparison.Ordinal));
        Assert.Empty(new AdmissionOptions().Validate());
    }
}
