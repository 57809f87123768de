using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// What a test may put around a silo's effects: its store (slow or faulty disks), its transport (cut links),
/// and last words on its Orleans configuration (applied after the silo's own).
/// </summary>
public sealed record SiloHostHooks(
    Func<IPartitionStore, IPartitionStore>? WrapStore = null,
    Func<ISiloTransport, ISiloTransport>? WrapTransport = null,
    Action<Orleans.Hosting.ISiloBuilder>? ConfigureOrleans = null);
