namespace OrleansDynamo.Silo.Admission;

/// <summary>Kinds of background work that share the admission slots. Values are shown, not stored.</summary>
public enum BackgroundWork
{
    AntiEntropyExchange,
    MerkleBuild,
    HintDelivery,
    OwnershipTransfer,
    /// <summary>A page of the log engine's merge (<see cref="StoreMergePacer"/>).</summary>
    LogMerge,
}

/// <summary>
/// Background work takes a slot before each unit of work (a page, a batch, an exchange round) and
/// gives it back after (Dynamo §6.5). The controller shrinks the slots when foreground latency rises.
/// </summary>
public interface IBackgroundAdmission
{
    ValueTask<IDisposable> AcquireAsync(BackgroundWork work, CancellationToken cancellationToken);

    /// <summary>
    /// The share of its time paced work (<see cref="BackgroundWorkKinds.IsPaced"/>: ownership transfer and Merkle tree
    /// builds, which stream without pause once they hold a slot) may run, in (0, 1]: after a unit of work that took t, it
    /// rests t × (1/Pace − 1) (<see cref="BackgroundWorkKinds.RestAfter"/>). 1 means full speed.
    /// </summary>
    double Pace => 1;

    /// <summary>
    /// The foreground p99 (ms) this silo's pace is judged against, or null while it has none: its own baseline, else one
    /// borrowed from a sender (<see cref="NotePacedWork"/>). A transfer carries it to its receivers.
    /// </summary>
    double? BaselineP99Ms => null;

    /// <summary>
    /// Paced work ran here without a slot (a transfer page received): the foreground p99 meanwhile is no baseline.
    /// <paramref name="senderBaselineMs"/> is the sender's <see cref="BaselineP99Ms"/>: a silo that has none of its own
    /// (a new silo, never quiet since its join began) paces against it instead of against no target at all.
    /// </summary>
    void NotePacedWork(double? senderBaselineMs = null)
    {
    }

    /// <summary>
    /// True while an ownership transfer runs here: a page sent or received within the last window. The log engine's merges
    /// wait for it to end (<see cref="StoreMergePacer"/>).
    /// </summary>
    bool TransferRunning => false;
}

public static class BackgroundWorkKinds
{
    /// <summary>
    /// Work that streams page after page without pause once it holds a slot: a slot alone does not hold it back (one
    /// slot kept busy is a whole core), so it also follows the pace.
    /// </summary>
    public static bool IsPaced(this BackgroundWork work) => work is BackgroundWork.OwnershipTransfer or BackgroundWork.MerkleBuild;

    /// <summary>The rest after a unit of paced work that took <paramref name="worked"/>: <c>worked × (1/pace − 1)</c>, at most 10 s.</summary>
    public static TimeSpan RestAfter(TimeSpan worked, double pace) => Storage.IBackgroundPacer.RestAfter(worked, pace);
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
