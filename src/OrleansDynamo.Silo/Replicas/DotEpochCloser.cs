using Microsoft.Extensions.Logging;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Silo.Replicas;

/// <summary>
/// Closes the silo's <see cref="DotEpoch"/> when the silo is disposed cleanly, so that the next start in
/// Full durability keeps the epoch (a silo that dies instead leaves the marker behind and signs under a
/// new epoch after its restart).
/// </summary>
public sealed class DotEpochCloser : ISiloFeature, IAsyncDisposable
{
    private SiloRuntime? _silo;

    public void Install(SiloRuntime silo) => _silo = silo;

    public async ValueTask DisposeAsync()
    {
        if (_silo is not { } silo) return;
        try
        {
            await silo.Replicas.Epoch.CloseAsync();
        }
        catch (Exception e)
        {
            // The marker stays: the next start signs under a new epoch, which is always safe.
            silo.Loggers.CreateLogger("OrleansDynamo.Silo").LogInformation("Dot epoch not closed cleanly: {Reason}", e.Message);
        }
    }
}
