using System.Collections.Concurrent;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Replicas;

/// <summary>
/// Finds or activates this silo's partition grains, and deactivates the ones idle past a limit
/// (their state is all in the store, so deactivation loses nothing).
/// </summary>
public sealed class PartitionReplicas(
    string siloName,
    IPartitionStore store,
    TimeProvider time,
    int maxClockEntries,
    TimeSpan idleTimeout)
{
    private readonly ConcurrentDictionary<int, PartitionReplica> _active = new();
    private readonly List<IPartitionChangeObserver> _observers = [];
    private readonly KeyedLock<Core.Keys.DynamoKey> _turns = new();

    /// <summary>Adds an observer; call before the first request.</summary>
    public void AddObserver(IPartitionChangeObserver observer) => _observers.Add(observer);

    public IPartitionReplica Get(int partition) =>
        _active.TryGetValue(partition, out var grain) ? grain : _active.GetOrAdd(partition, p => new PartitionReplica(p, store, time, maxClockEntries, _observers, _turns, Epoch));

    public int ActiveCount => _active.Count;

    /// <summary>The actor this silo signs new versions with; bump it before forgetting data.</summary>
    public DotEpoch Epoch { get; } = new(siloName);

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
