using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Hints;

/// <summary>
/// Where a stand-in puts the hint for a write it took (the coordinator calls it). The hinted-handoff
/// feature implements it: it bounds the backlog per target and counts what it stores or drops.
/// </summary>
public interface IHintSink
{
    /// <summary>Stores <paramref name="hint"/> durably, or drops it when its target's backlog is full; true when stored.</summary>
    ValueTask<bool> StoreAsync(Hint hint, CancellationToken cancellationToken);
}
