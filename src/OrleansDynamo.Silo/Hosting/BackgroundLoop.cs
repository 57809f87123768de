using Microsoft.Extensions.Logging;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// One piece of periodic background work (gossip, hint delivery, anti-entropy, transfers...). The round is the
/// Dynamo logic; what calls it is the host's: on an Orleans silo the silo's background grain (grain timers, kept
/// alive by a reminder), in the simulation <see cref="RunAsync"/> on the silo's <see cref="TimeProvider"/>.
/// A failing round is logged and the work goes on.
/// </summary>
public sealed class BackgroundLoop(string name, TimeSpan interval, Func<CancellationToken, Task> round, TimeProvider time, ILogger log)
{
    private long _rounds;

    public string Name { get; } = name;

    public TimeSpan Interval { get; } = interval;

    public long Rounds => Interlocked.Read(ref _rounds);

    public DateTimeOffset? LastRun { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Runs rounds every <see cref="Interval"/> on the silo's clock until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (!await RunOnceAsync(cancellationToken)) return;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Runs one round; false once <paramref name="cancellationToken"/> stopped it.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await round(cancellationToken);
            LastError = null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e)
        {
            LastError = e.Message;
            log.LogWarning(e, "Background loop {Loop} failed a round", Name);
        }
        Interlocked.Increment(ref _rounds);
        LastRun = time.GetUtcNow();
        return true;
    }
}
