namespace OrleansDynamo.Storage;

/// <summary>
/// Paces a store's own background work (the log engine's merges) by its host's foreground. A silo passes one backed by its
/// admission controller, so a merge yields to client requests the way ownership transfers and tree builds do. Without one
/// a merge runs at its configured byte rate alone.
/// </summary>
public interface IBackgroundPacer
{
    /// <summary>
    /// Blocks until a unit of background work (a merge's 1 MiB page) may start; the caller disposes the result when the unit
    /// ends. Called from the store's own thread, or from the thread of a merge an operator asked for.
    /// </summary>
    IDisposable Enter(CancellationToken cancellationToken);

    /// <summary>
    /// The share of its time background work may run now, in (0, 1]: after a unit that took t it rests
    /// <c>t × (1/Pace − 1)</c> (<see cref="RestAfter"/>).
    /// </summary>
    double Pace { get; }

    /// <summary>The rest after a unit of work that took <paramref name="worked"/> at <paramref name="pace"/>: <c>worked × (1/pace − 1)</c>, at most 10 s.</summary>
    static TimeSpan RestAfter(TimeSpan worked, double pace)
    {
        if (!(pace < 1) || worked <= TimeSpan.Zero) return TimeSpan.Zero;
        return TimeSpan.FromTicks((long)Math.Min(TimeSpan.FromSeconds(10).Ticks, worked.Ticks * (1 / Math.Max(pace, 0.001) - 1)));
    }
}
