using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Admission;

/// <summary>
/// The log engine's merges under the silo's admission control, as its <see cref="IBackgroundPacer"/>:
/// <list type="bullet">
/// <item>a merge waits while an ownership transfer runs here (<see cref="IBackgroundAdmission.TransferRunning"/>): a join
/// or leave drops partitions as it goes, so a merge then would take CPU from a foreground already paying for the transfer,
/// and the drops still to come would call for another; it goes on once the transfer has been quiet for a window;</item>
/// <item>each 1 MiB page takes a <see cref="BackgroundWork.LogMerge"/> slot and rests after it as the controller's
/// <see cref="IBackgroundAdmission.Pace"/> asks, like a transfer's page. A merge is not paced work itself: it does not
/// start slowly (a slow start made every merge of a steady write load last four times longer), so it runs at its byte
/// rate until the foreground p99 cuts the pace.</item>
/// </list>
/// Without it, every old silo of a join merged away the partitions it had just dropped while the transfer still ran, each
/// at a core's share, in the join's worst 10 s (docs/performance.md). A merge of files mostly dead runs without a pacer
/// (<see cref="Storage.Log.LogStoreOptions.MergeUrgentDeadShare"/>), so waiting cannot grow the files without bound.
/// </summary>
/// <param name="admission">The silo's admission, or null before the silo has one (the store opens first): then a page runs at once.</param>
public sealed class StoreMergePacer(Func<IBackgroundAdmission?> admission) : IBackgroundPacer
{
    /// <summary>How often a merge waiting for a transfer to end looks again.</summary>
    public static readonly TimeSpan TransferCheck = TimeSpan.FromMilliseconds(250);

    /// <summary>Blocks the merge's thread while a transfer runs, then until a slot is free; the merge disposes it after the page.</summary>
    public IDisposable Enter(CancellationToken cancellationToken)
    {
        while (Admission.TransferRunning)
        {
            cancellationToken.WaitHandle.WaitOne(TransferCheck);
            cancellationToken.ThrowIfCancellationRequested();
        }
        return Admission.AcquireAsync(BackgroundWork.LogMerge, cancellationToken).AsTask().GetAwaiter().GetResult();
    }

    public double Pace => Admission.Pace;

    private IBackgroundAdmission Admission => admission() ?? UnlimitedAdmission.Instance;
}
