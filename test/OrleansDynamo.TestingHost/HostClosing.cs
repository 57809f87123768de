using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime;
using OrleansSilo = Orleans.Runtime.Silo;

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

    /// <summary>
    /// Closes a silo host whose start failed half way (its join refused, a port taken). A silo that reached Running is
    /// stopped by the host's stop as usual. One that never got there is refused a stop by Orleans (10.4.2), and its
    /// grain directory's membership loop, started in an early stage, is never cancelled: once the host is disposed it
    /// becomes a busy loop over the closed membership stream for the rest of the process (measured in this suite:
    /// 3–9 million thread-pool items and 0.6–1.7 GB allocated a second, and multi-second GC and thread-pool stalls in
    /// every later test). So that directory is stopped here before the host is disposed. (Stopping the whole lifecycle
    /// instead marks the silo terminated without completing its termination task, and the dispose then waits forever.)
    /// </summary>
    public static async Task CloseFailedSiloAsync(this IHost host)
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await host.StopAsync(stop.Token);
        }
        catch (Exception)
        {
            // A silo that never reached Running refuses to stop: handled below.
        }
        if (!host.Services.GetRequiredService<OrleansSilo>().SiloTerminated.IsCompleted)
            await StopGrainDirectoryAsync(host.Services).WaitAsync(TimeSpan.FromSeconds(10));
        if (host is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else host.Dispose();
    }

    private static Task StopGrainDirectoryAsync(IServiceProvider services)
    {
        // Orleans' LocalGrainDirectory is internal; its StopAsync cancels the membership loop and waits for it to end.
        var type = typeof(OrleansSilo).Assembly.GetType("Orleans.Runtime.GrainDirectory.LocalGrainDirectory", throwOnError: true)!;
        var stop = type.GetMethod("StopAsync", Type.EmptyTypes)
            ?? throw new MissingMethodException(type.FullName, "StopAsync");
        return (Task)stop.Invoke(services.GetRequiredService(type), null)!;
    }
}
