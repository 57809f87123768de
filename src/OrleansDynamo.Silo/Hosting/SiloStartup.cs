using Microsoft.Extensions.Hosting;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// Orders a silo process's start around its listeners. Before any hosted service starts (Orleans, then Kestrel):
/// load the persisted state, so damaged data stops the process before it listens anywhere. After every hosted
/// service has started (Kestrel's gRPC and HTTP ports and Orleans' silo and gateway ports all bound): record this
/// silo's join or new addresses. A silo that cannot bind a port therefore records nothing as joined. After every hosted
/// service has stopped: save what the next start takes up.
/// </summary>
internal sealed class SiloStartup(SiloRuntime runtime) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => runtime.LoadAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        await runtime.RecordSelfAsync(cancellationToken);
        // The seeds were met when Orleans became active, before the join existed: tell them now, not a gossip interval later.
        runtime.MeetSeeds();
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After every hosted service has stopped (no port serves, the background work is over): a graceful stop saves the
    /// state the next start takes up. A stop cut short (its token cancelled: a kill, or the shutdown timeout) saves nothing.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return;
        await runtime.SaveAsync(cancellationToken);
    }
}
