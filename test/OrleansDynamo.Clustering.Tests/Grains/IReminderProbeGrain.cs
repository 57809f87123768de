using Orleans;

namespace OrleansDynamo.Clustering.Tests.Grains;

/// <summary>A grain with one Orleans reminder; every tick is written to the test's <see cref="ReminderTickLog"/>.</summary>
public interface IReminderProbeGrain : IGrainWithIntegerKey
{
    Task StartReminder(TimeSpan period);

    Task<string> SiloName();
}
