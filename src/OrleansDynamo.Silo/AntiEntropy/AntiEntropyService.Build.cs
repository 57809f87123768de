using Microsoft.Extensions.Logging;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.AntiEntropy;

public sealed partial class AntiEntropyService
{
    /// <summary>
    /// Fills a new tree from the store, page by page, each page under an admission slot, followed by the rest the
    /// admission pace asks for (paced work: the foreground p99 keeps near its baseline), and the whole scan held to
    /// <see cref="AntiEntropyOptions.BuildKeysPerSecond"/>. Changes landing meanwhile go
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
                TimeSpan worked;
                using (await _silo.Admission.AcquireAsync(BackgroundWork.MerkleBuild, ct))
                {
                    long pageStart = _silo.Time.GetTimestamp();
                    page = await _silo.Store.ScanAsync(tree.Id.Partition, cursor, _options.BuildPageSize, ct);
                    foreach (var entry in page.Entries)
                    {
                        if (NOf(entry.Key.Bucket) is not int n) unknownBucket = true;
                        else if (n == tree.Id.N) tree.ApplyScanned(entry.Hash, entry.Siblings);
                    }
                    worked = _silo.Time.GetElapsedTime(pageStart);
                }
                // A value that does not decode leaves the tree with the store: an exchange then brings it back from a replica.
                if (page.Undecodable.Count > 0) await _silo.Replicas.QuarantineAsync(page.Undecodable, ct);
                scanned += page.Entries.Count;
                Interlocked.Exchange(ref tree.KeysScanned, scanned);
                if (page.IsLast) break;
                cursor = page.Next;
                // Paced like a transfer (a slot kept busy page after page is a whole core), and never above the rate limit.
                var rest = BackgroundWorkKinds.RestAfter(worked, _silo.Admission.Pace);
                if (rest > TimeSpan.Zero) counters.Add(AntiEntropyCounters.BuildRestedMs, (long)rest.TotalMilliseconds);
                var behind = TimeSpan.FromSeconds((double)scanned / _options.BuildKeysPerSecond) - _silo.Time.GetElapsedTime(start);
                var wait = behind > rest ? behind : rest;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _silo.Time, ct);
            }
            if (tree.Dropped) return;
            tree.MarkReady(NowMs);
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
