using Microsoft.Extensions.Logging;

namespace OrleansDynamo.Silo.AntiEntropy;

public sealed partial class AntiEntropyService
{
    /// <summary>
    /// At start, before the silo listens anywhere (so no write lands first): takes the trees saved at the last graceful
    /// stop (<see cref="TreeSnapshot"/>) out of the metadata store and, when anti-entropy is on and the snapshot decodes,
    /// makes the ones this silo holds ready at once. The snapshot is deleted whatever happens, before any write: it describes the store only until then.
    /// </summary>
    public async Task RestoreTreesAsync(CancellationToken ct)
    {
        var bytes = await _silo.Store.Metadata.GetAsync(TreeSnapshot.MetadataKey, ct);
        if (bytes is null) return;
        await _silo.Store.Metadata.DeleteAsync(TreeSnapshot.MetadataKey, ct);
        if (!_options.Enabled) return;
        TreeSnapshot snapshot;
        try
        {
            snapshot = TreeSnapshot.Decode(bytes);
        }
        catch (FormatException e)
        {
            _log.LogWarning("The Merkle trees saved at the last stop are unreadable ({Error}); they are built from the store", e.Message);
            return;
        }
        var held = HeldTrees();
        int restored = 0;
        long keys = 0;
        foreach (var entry in snapshot.Trees)
        {
            if (!held.Contains(entry.Id)) continue;
            var tree = new ReplicaTree(entry.Id, _shape) { Build = Task.CompletedTask };
            tree.Restore(entry.Digests, entry.Tombstones, entry.BuiltAtMs);
            _trees[entry.Id] = tree;
            restored++;
            keys += entry.Digests.Count;
        }
        _silo.Counters.Add(AntiEntropyCounters.TreesRestored, restored);
        _log.LogInformation("Restored {Trees} Merkle trees ({Keys} keys) saved at the last stop", restored, keys);
    }

    /// <summary>
    /// At a graceful stop, once nothing serves requests or runs background work any more: saves every ready tree for the
    /// next start (<see cref="RestoreTreesAsync"/>). Trees still building are left out and built again then.
    /// </summary>
    public async Task SaveTreesAsync(CancellationToken ct)
    {
        if (!_options.Enabled) return;
        var entries = new List<TreeSnapshotEntry>();
        long keys = 0;
        foreach (var tree in _trees.Values.OrderBy(t => t.Id))
        {
            if (!tree.IsReady || tree.Dropped) continue;
            var (digests, tombstones) = tree.Export();
            entries.Add(new TreeSnapshotEntry(tree.Id, tree.BuiltAtMs, digests, tombstones));
            keys += digests.Count;
        }
        if (entries.Count == 0) return;
        await _silo.Store.Metadata.SetAsync(TreeSnapshot.MetadataKey, new TreeSnapshot(entries).Encode(), ct);
        _log.LogInformation("Saved {Trees} Merkle trees ({Keys} keys) for the next start", entries.Count, keys);
    }
}
