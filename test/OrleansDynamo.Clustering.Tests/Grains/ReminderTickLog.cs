using System.Diagnostics;

namespace OrleansDynamo.Clustering.Tests.Grains;

/// <summary>
/// Reminder ticks seen by every silo of one test (one instance, registered in each silo's services):
/// which grain ticked, on which silo, when (a monotonic clock).
/// </summary>
public sealed class ReminderTickLog
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Tick> _ticks = [];

    public readonly record struct Tick(long GrainKey, string Silo, TimeSpan At);

    public TimeSpan Now => _clock.Elapsed;

    public void Record(long grainKey, string silo)
    {
        lock (_ticks) _ticks.Add(new Tick(grainKey, silo, _clock.Elapsed));
    }

    public IReadOnlyList<Tick> Snapshot()
    {
        lock (_ticks) return _ticks.ToArray();
    }
}
