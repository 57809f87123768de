using OrleansDynamo.Simulation.World;
using Xunit;

namespace OrleansDynamo.Simulation;

/// <summary>The simulated clock moves only when the scheduler fires timers, in due order, and every .NET timer API goes through it.</summary>
public sealed class SimulatedTimeTests
{
    [Fact]
    public void Timers_fire_in_due_order_then_creation_order_and_time_jumps_to_each()
    {
        var scheduler = new SimScheduler(SimulatedCluster.Epoch);
        var time = scheduler.Time;
        var fired = new List<(string, TimeSpan)>();
        time.CreateTimer(_ => fired.Add(("b", time.Elapsed)), null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        time.CreateTimer(_ => fired.Add(("a", time.Elapsed)), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        time.CreateTimer(_ => fired.Add(("c", time.Elapsed)), null, TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan);
        var disposed = time.CreateTimer(_ => fired.Add(("x", time.Elapsed)), null, TimeSpan.FromMilliseconds(15), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        scheduler.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal([("a", TimeSpan.FromMilliseconds(10)), ("b", TimeSpan.FromMilliseconds(20)), ("c", TimeSpan.FromMilliseconds(20))], fired);
        Assert.Equal(TimeSpan.FromSeconds(1), time.Elapsed);
    }

    [Fact]
    public void Delay_periodic_timer_and_cancellation_source_run_on_simulated_time()
    {
        var scheduler = new SimScheduler(SimulatedCluster.Epoch);
        var time = scheduler.Time;
        var seen = new List<string>();
        var context = scheduler.CreateContext("test");
        scheduler.Spawn(context, async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), time);
            seen.Add($"delay {time.Elapsed.TotalMilliseconds}");
            using var periodic = new PeriodicTimer(TimeSpan.FromMilliseconds(100), time);
            for (int i = 0; i < 3 && await periodic.WaitForNextTickAsync(); i++) seen.Add($"tick {time.Elapsed.TotalMilliseconds}");
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50), time);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, time, cts.Token);
            }
            catch (OperationCanceledException)
            {
                seen.Add($"cancelled {time.Elapsed.TotalMilliseconds}");
            }
        });
        scheduler.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(["delay 250", "tick 350", "tick 450", "tick 550", "cancelled 600"], seen);
        Assert.Empty(scheduler.Faults);
        Assert.Empty(scheduler.Escapes);
    }
}
