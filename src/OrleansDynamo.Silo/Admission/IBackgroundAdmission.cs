namespace OrleansDynamo.Silo.Admission;

/// <summary>Kinds of background work that share the admission slots. Values are shown, not stored.</summary>
public enum BackgroundWork
{
    AntiEntropyExchange,
    MerkleBuild,
    HintDelivery,
    OwnershipTransfer,
}

/// <summary>
/// Background work takes a slot before each unit of work (a page, a batch, an exchange round) and
/// gives it back after (Dynamo §6.5). The controller shrinks the slots when foreground latency rises.
/// </summary>
public interface IBackgroundAdmission
{
    ValueTask<IDisposable> AcquireAsync(BackgroundWork work, CancellationToken cancellationToken);
}

/// <summary>Admits everything at once: the default until a controller is installed.</summary>
public sealed class UnlimitedAdmission : IBackgroundAdmission
{
    public static readonly UnlimitedAdmission Instance = new();

    public ValueTask<IDisposable> AcquireAsync(BackgroundWork work, CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable>(Slot.Instance);

    private sealed class Slot : IDisposable
    {
        public static readonly Slot Instance = new();

        public void Dispose()
        {
        }
    }
}
