using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// Writes to one partition seen while its final pass and drop run (the latest stored set per key),
/// so a write that lands during the drop is still sent to the new owners.
/// </summary>
public sealed class LateWrites(int max)
{
    private readonly Dictionary<DynamoKey, SiblingSet> _sets = new();

    public bool Overflowed { get; private set; }

    /// <summary>When the partition was dropped (timestamp of the silo clock), or null before.</summary>
    public long? DroppedAt { get; set; }

    public void Add(DynamoKey key, SiblingSet stored)
    {
        lock (_sets)
        {
            if (_sets.Count >= max && !_sets.ContainsKey(key)) Overflowed = true;
            else _sets[key] = stored;
        }
    }

    public IReadOnlyList<TransferItem> Drain()
    {
        lock (_sets)
        {
            var items = _sets.Select(kv => new TransferItem(kv.Key, kv.Value)).ToList();
            _sets.Clear();
            return items;
        }
    }
}
