using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Replicas;

/// <summary>
/// Finds or activates this silo's partition grains, and deactivates the ones idle past a limit
/// (their state is all in the store, so deactivation loses nothing). Counts and logs every stored value a grain
/// quarantines (<see cref="CounterNames.ValuesQuarantined"/>).
/// </summary>
public sealed class PartitionReplicas(
    string siloName,
    IPartitionStore store,
    TimeProvider time,
    int maxClockEntries,
    TimeSpan idleTimeout,
    SiloCounters counters,
    ILogger log)
{
    private readonly ConcurrentDictionary<int, PartitionReplica> _active = new();
    private readonly List<IPartitionChangeObserver> _observers = [];
    private readonly KeyedLock<Core.Keys.DynamoKey> _turns = new();

    /// <summary>Adds an observer; call before the first request.</summary>
    public void AddObserver(IPartitionChangeObserver observer) => _observers.Add(observer);

    public IPartitionReplica Get(int partition) =>
        _active.TryGetValue(partition, out var grain) ? grain : _active.GetOrAdd(partition, p => new PartitionReplica(p, store, time, maxClockEntries, _observers, _turns, Epoch, Quarantined));

    public int ActiveCount => _active.Count;

    /// <summary>The actor this silo signs new versions with; bump it before forgetting data.</summary>
    public DotEpoch Epoch { get; } = new(siloName);

    /// <summary>
    /// Quarantines the values a scan found undecodable (<see cref="PartitionPage.Undecodable"/>), each in its key's turn,
    /// so the scan goes on without them. Call outside any key's turn.
    /// </summary>
    public async Task QuarantineAsync(IReadOnlyList<UndecodableValue> values, CancellationToken cancellationToken)
    {
        foreach (var value in values) await Get(value.Partition).QuarantineAsync(value, cancellationToken);
    }

    /// <summary>Counts and logs a value moved into the quarantine; it is gone from the partition afterwards, so once.</summary>
    private void Quarantined(QuarantinedValue value)
    {
        counters.Add(CounterNames.ValuesQuarantined);
        log.LogWarning("Stored value of key {Key} in partition {Partition} does not decode and was quarantined; this replica answers it as absent " +
            "until read repair or anti-entropy brings it back: {Reason}", value.Key, value.Partition, value.Reason);
    }

    /// <summary>Deactivates idle grains; returns how many.</summary>
    public int DeactivateIdle()
    {
        int n = 0;
        foreach (var (partition, grain) in _active)
        {
            if (grain.IdleFor > idleTimeout && _active.TryRemove(new KeyValuePair<int, PartitionReplica>(partition, grain)))
                n++;
        }
        return n;
    }
}
