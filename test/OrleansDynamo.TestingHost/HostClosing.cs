using Microsoft.Extensions.Hosting;

namespace OrleansDynamo.TestingHost;

/// <summary>Closing a host a test built (an Orleans client), whether or not it started.</summary>
public static class HostClosing
{
    /// <summary>
    /// Stops the host (bounded) and disposes it asynchronously: an Orleans client whose start failed half way still has
    /// timers and connection attempts running, and a synchronous dispose leaves them going for the rest of the test run.
    /// </summary>
    public static async Task CloseAsync(this IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stop.Token);
        }
        catch (Exception)
        {
            // It never started, or its peer is gone: dispose it anyway.
        }
        if (host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else host.Dispose();
    }
}
