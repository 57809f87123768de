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

    [Fact]
    public void Invalid_settings_are_refused_naming_the_field()
    {
        var errors = new AdmissionOptions { MinSlots = 0, MaxSlots = 0, TargetP99Ms = -1 }.Validate();
        Assert.Contains(errors, e => e.StartsWith("Silo:Admission:MinSlots", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Silo:Admission:TargetP99Ms", StringComparison.Ordinal));
        Assert.Empty(new AdmissionOptions().Validate());
    }
}
