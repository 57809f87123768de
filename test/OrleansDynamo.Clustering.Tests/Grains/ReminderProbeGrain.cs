using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace OrleansDynamo.Clustering.Tests.Grains;

[PreferLocalPlacement]
public sealed class ReminderProbeGrain(ReminderTickLog log, ILocalSiloDetails silo) : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";

    public Task StartReminder(TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, period, period);

    public Task<string> SiloName() => Task.FromResult(silo.Name);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        log.Record(this.GetPrimaryKeyLong(), silo.Name);
        return Task.CompletedTask;
    }
}
