using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

using OrleansDynamo.Silo.Placement;

namespace OrleansDynamo.Silo.Grains;

/// <summary>
/// Drives one silo's background work (gossip, hint delivery, anti-entropy, ownership transfer, admission,
/// metrics): a grain timer per loop, at the loop's interval. An Orleans reminder keeps the grain active: after
/// any restart, of this silo or of the one holding the reminder table, the reminder's next tick activates it
/// again and the timers resume. The silo also activates it as soon as it is active.
/// </summary>
[Alias("od.ISiloWorkGrain")]
public interface ISiloWorkGrain : IGrainWithStringKey
{
    /// <summary>Activates the grain (its timers start) and registers its reminder; idempotent.</summary>
    [Alias("ensure")]
    Task EnsureRunningAsync();

    /// <summary>Reminder ticks this activation has received.</summary>
    [Alias("ticks")]
    Task<long> ReminderTicksAsync();
}

[DynamoOwnerPlacement]
internal sealed class SiloWorkGrain(SiloRuntime silo, IGrainFactory grains, ILogger<SiloWorkGrain> log) : OwnerPinnedGrain(silo), ISiloWorkGrain, IRemindable
{
    public const string ReminderName = "od.background-work";

    /// <summary>Counter of reminder ticks received, in the silo's counters (and so in status and /metrics).</summary>
    public const string TicksCounter = "background_reminder_ticks";

    private bool _reminderRegistered;
    private long _ticks;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        foreach (var loop in Silo.Loops)
        {
            // Rounds run on the thread pool, not on this activation's scheduler: CPU-heavy rounds (tree builds) must not
            // serialise the other loops. A timer's next tick waits for its round to finish.
            this.RegisterGrainTimer(_ => Task.Run(() => Silo.RunRoundAsync(loop)),
                new GrainTimerCreationOptions(loop.Interval, loop.Interval) { Interleave = true, KeepAlive = true });
        }
        log.LogInformation("Background work of {Silo} running: {Loops}", Silo.Name, string.Join(", ", Silo.Loops.Select(l => l.Name)));
    }

    /// <summary>
    /// Orleans may deactivate the grain while the silo runs (its directory entry lost while silos join or leave): it
    /// comes back at once rather than at the reminder's next tick, which may be a minute away.
    /// </summary>
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (Silo.IsStopping) return Task.CompletedTask;
        log.LogWarning("Background work of {Silo} deactivated ({Reason}); activating it again", Silo.Name, reason);
        _ = Task.Run(ReactivateAsync);
        return Task.CompletedTask;
    }

    private async Task ReactivateAsync()
    {
        for (int attempt = 1; attempt <= 30 && !Silo.IsStopping; attempt++)
        {
            try
            {
                await grains.GetGrain<ISiloWorkGrain>(Silo.Name).EnsureRunningAsync();
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("Activating the background work of {Silo} again failed (attempt {Attempt}): {Message}", Silo.Name, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    public async Task EnsureRunningAsync()
    {
        if (_reminderRegistered) return;
        var period = TimeSpan.FromMilliseconds(Silo.Options.BackgroundReminderPeriodMs);
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
        _reminderRegistered = true;
    }

    public Task<long> ReminderTicksAsync() => Task.FromResult(_ticks);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _ticks++;
        Silo.Counters.Add(TicksCounter);
        return Task.CompletedTask;
    }
}
