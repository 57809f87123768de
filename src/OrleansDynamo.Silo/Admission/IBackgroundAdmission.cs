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

    /// <summary>
    /// The share of its time paced work (ownership transfer) may run, in (0, 1]: after a unit of work that took t,
    /// it rests t × (1/Pace − 1). 1 means full speed.
    /// </summary>
    double Pace => 1;

    /// <summary>Paced work ran here without a slot (a transfer page received): the foreground p99 meanwhile is no baseline.</summary>
    void NotePacedWork()
    {
    }
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
