using Microsoft.Extensions.Logging;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// Runs one piece of periodic background work on the silo's <see cref="TimeProvider"/> (so tests and
/// the simulation drive it with their own clock). A failing round is logged and the loop goes on.
/// </summary>
public sealed class BackgroundLoop(string name, TimeSpan interval, Func<CancellationToken, Task> round, TimeProvider time, ILogger log)
{
    public string Name { get; } = name;

    public long Rounds { get; private set; }

    public DateTimeOffset? LastRun { get; private set; }

    public string? LastError { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await round(cancellationToken);
                    LastError = null;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    LastError = e.Message;
                    log.LogWarning(e, "Background loop {Loop} failed a round", Name);
                }
                Rounds++;
                LastRun = time.GetUtcNow();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
