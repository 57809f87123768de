using Microsoft.Extensions.Logging;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.AntiEntropy;

public sealed partial class AntiEntropyService
{
    /// <summary>
    /// Fills a new tree from the store, page by page, each page under an admission slot and the whole
    /// scan held to <see cref="AntiEntropyOptions.BuildKeysPerSecond"/>. Changes landing meanwhile go
    /// straight into the tree (see <see cref="ReplicaTree"/>). Stored values that do not decode are quarantined
    /// and left out. A failed build forgets the tree, so the next exchange starts over.
    /// </summary>
    private async Task BuildAsync(ReplicaTree tree)
    {
        await Task.Yield();
        var ct = _stopping;
        var counters = _silo.Counters;
        counters.Add(AntiEntropyCounters.TreesBuilding, 1);
        long start = _silo.Time.GetTimestamp();
        bool unknownBucket = false;
        try
        {
            ScanCursor? cursor = null;
            long scanned = 0;
            while (!tree.Dropped)
            {
                PartitionPage page;
                using (await _silo.Admission.AcquireAsync(BackgroundWork.MerkleBuild, ct))
                    page = await _silo.Store.ScanAsync(tree.Id.Partition, cursor, _options.BuildPageSize, ct);
                // A value that does not decode leaves the tree with the store: an exchange then brings it back from a replica.
                if (page.Undecodable.Count > 0) await _silo.Replicas.QuarantineAsync(page.Undecodable, ct);
                foreach (var entry in page.Entries)
                {
                    if (NOf(entry.Key.Bucket) is not int n) unknownBucket = true;
                    else if (n == tree.Id.N) tree.ApplyScanned(entry.Hash, entry.Siblings);
                }
                scanned += page.Entries.Count;
                Interlocked.Exchange(ref tree.KeysScanned, scanned);
                if (page.IsLast) break;
                cursor = page.Next;
                var due = TimeSpan.FromSeconds((double)scanned / _options.BuildKeysPerSecond);
                var elapsed = _silo.Time.GetElapsedTime(start);
                if (due > elapsed) await Task.Delay(due - elapsed, _silo.Time, ct);
            }
            if (tree.Dropped) return;
            tree.MarkReady();
            counters.Add(AntiEntropyCounters.TreesBuilt);
            _log.LogDebug("Built the Merkle tree {Tree}: {Keys} keys of {Scanned} scanned in {Ms:0} ms",
                tree.Id, tree.KeyCount, scanned, _silo.Time.GetElapsedTime(start).TotalMilliseconds);
            if (unknownBucket) DropTrees(id => id == tree.Id, "the build met keys of a bucket unknown here yet");
        }
        catch (Exception e)
        {
            _trees.TryRemove(new KeyValuePair<TreeId, ReplicaTree>(tree.Id, tree));
            tree.Dropped = true;
            if (e is not OperationCanceledException) _log.LogWarning("Building the Merkle tree {Tree} failed: {Error}", tree.Id, e.Message);
            throw;
        }
        finally
        {
            counters.Add(AntiEntropyCounters.TreesBuilding, -1);
        }
    }
}
