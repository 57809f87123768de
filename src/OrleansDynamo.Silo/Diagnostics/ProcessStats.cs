namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// One silo's process as the dashboard shows it: how long the silo has run, its version, the CPU it used since the
/// last sample (percent of the whole machine), its memory (working set and managed heap) and its garbage collections.
/// </summary>
public sealed record ProcessStats(
    double UptimeSeconds, string Version, double CpuPercent, long WorkingSetBytes, long GcHeapBytes,
    int Gen0Collections, int Gen1Collections, int Gen2Collections, double GcPauseSeconds, int ProcessorCount);

/// <summary>
/// Samples <see cref="ProcessStats"/>: the CPU percentage is the process's processor time between two samples over the
/// wall time between them and the processor count. Thread-safe.
/// </summary>
public sealed class ProcessSampler(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private DateTimeOffset _lastAt = time.GetUtcNow();
    private TimeSpan _lastCpu = CpuTime();
    private double _cpuPercent;

    public ProcessStats Sample()
    {
        var now = time.GetUtcNow();
        var cpu = CpuTime();
        double percent;
        lock (_gate)
        {
            double wall = (now - _lastAt).TotalSeconds;
            // Samples closer than half a second apart keep the last figure: the processor time's resolution would make it noise.
            if (wall >= 0.5)
            {
                _cpuPercent = Math.Clamp((cpu - _lastCpu).TotalSeconds / (wall * Environment.ProcessorCount) * 100, 0, 100);
                _lastAt = now;
                _lastCpu = cpu;
            }
            percent = _cpuPercent;
        }
        return new ProcessStats(
            Math.Round((now - _started).TotalSeconds, 1), SiloVersion.Current, Math.Round(percent, 1), Environment.WorkingSet,
            GC.GetGCMemoryInfo().HeapSizeBytes, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
            Math.Round(GC.GetTotalPauseDuration().TotalSeconds, 3), Environment.ProcessorCount);
    }

    private static TimeSpan CpuTime() => Environment.CpuUsage.TotalTime;
}
