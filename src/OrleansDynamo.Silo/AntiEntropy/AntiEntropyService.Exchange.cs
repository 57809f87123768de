using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.Silo.AntiEntropy;

public sealed partial class AntiEntropyService
{
    /// <summary>Bytes of one exchange: every request and response, serialized.</summary>
    private sealed class Meter
    {
        public long Bytes;
    }

    /// <summary>
    /// One exchange of tree <paramref name="id"/> with the next replica in its preference list, now
    /// (builds the local tree first if needed). One exchange per tree at a time.
    /// </summary>
    public async Task<ExchangeResult> ExchangeAsync(TreeId id, CancellationToken ct)
    {
        if (Receiving(id.Partition))
        {
            // Not even a build: it would scan a partition still arriving, and the transfer's pages change it throughout.
            var busy = new ExchangeResult(id, null, ExchangeOutcome.Busy, 0, 0, 0, 0, TimeSpan.Zero, StillReceiving);
            Record(busy);
            return busy;
        }
        var tree = StartTree(id);
        await tree.ExchangeGate.WaitAsync(ct);
        try
        {
            await _exchangeSlots.WaitAsync(ct);
            try
            {
                var result = await ExchangeCoreAsync(tree, ct);
                Record(result);
                return result;
            }
            finally
            {
                _exchangeSlots.Release();
            }
        }
        finally
        {
            tree.ExchangeGate.Release();
        }
    }

    private async Task<ExchangeResult> ExchangeCoreAsync(ReplicaTree tree, CancellationToken ct)
    {
        long start = _silo.Time.GetTimestamp();
        var id = tree.Id;
        var meter = new Meter();
        string? peer = null;
        bool leased = false;
        int segments = 0, repaired = 0, removed = 0;
        ExchangeResult Done(ExchangeOutcome outcome, string? detail = null) =>
            new(id, peer, outcome, segments, repaired, Interlocked.Read(ref meter.Bytes), removed, _silo.Time.GetElapsedTime(start), detail);

        try
        {
            await tree.Build!.WaitAsync(ct);
            if (!tree.IsReady) return Done(ExchangeOutcome.Failed, "the tree was dropped while building");
            var ring = _silo.Membership.State.Ring;
            if (ring is null) return Done(ExchangeOutcome.NoPeer, "no ring yet");
            var primaries = ring.PreferenceListFor(id.Partition, id.N).Primaries;
            if (!primaries.Contains(Self)) return Done(ExchangeOutcome.Failed, $"{Self} is not a replica of {id} any more");
            if (Receiving(id.Partition)) return Done(ExchangeOutcome.Busy, StillReceiving); // the transfer began during the build
            peer = PickPeer(id, primaries);
            if (peer is null)
            {
                // N = 1, or every other replica is down: tombstones may still go when this is the only replica.
                if (primaries.Length == 1 && _options.TombstoneGc) removed = await CollectTombstonesAsync(tree, primaries, meter, ct);
                return Done(ExchangeOutcome.NoPeer, primaries.Length == 1 ? "N is 1" : "no other replica is reachable");
            }

            if (!tree.TryLease(Self, NowMs, long.MaxValue / 2)) return Done(ExchangeOutcome.Busy, "the tree is serving another replica's exchange");
            leased = true;
            var treeRef = TreeRef.Of(id, _shape);
            var exchange = new MerkleExchange(tree.Snapshot());
            var request = exchange.Start();
            while (request is not null)
            {
                MerkleHashesAnswer answer;
                using (await _silo.Admission.AcquireAsync(BackgroundWork.AntiEntropyExchange, ct))
                    answer = await CallAsync(peer, new MerkleHashesQuery(treeRef, request.Level, ParentsOf(request), Self), meter, ct);
                if (OtherDigestScheme(answer.DigestScheme) is { } why) return Done(ExchangeOutcome.Failed, why);
                if (answer.Busy) return Done(ExchangeOutcome.Busy, $"{peer}'s tree is in another exchange");
                if (!answer.Ready) return Done(ExchangeOutcome.PeerNotReady, $"{peer} is still building its tree");
                request = exchange.OnResponse(answer.Hashes);
            }

            var differing = exchange.DifferingSegments;
            segments = differing.Length;
            foreach (var chunk in differing.Chunk(_options.MaxSegmentsPerRequest))
            {
                ImmutableArray<KeyDifference> differences;
                using (await _silo.Admission.AcquireAsync(BackgroundWork.AntiEntropyExchange, ct))
                {
                    var remote = await CallAsync(peer, new SegmentKeysQuery(treeRef, [.. chunk], Self), meter, ct);
                    if (OtherDigestScheme(remote.DigestScheme) is { } why) return Done(ExchangeOutcome.Failed, why);
                    if (!remote.Ready) return Done(ExchangeOutcome.PeerNotReady, $"{peer} dropped its tree");
                    differences = SegmentDiff.Compare(tree.KeysIn(chunk), remote.Keys);
                }
                foreach (var batch in differences.Chunk(_options.MaxKeysPerRepair))
                {
                    using (await _silo.Admission.AcquireAsync(BackgroundWork.AntiEntropyExchange, ct))
                        repaired += await RepairAsync(peer, treeRef, batch, meter, ct);
                }
            }
            if (_options.TombstoneGc) removed = await CollectTombstonesAsync(tree, primaries, meter, ct);
            return Done(segments == 0 ? ExchangeOutcome.InSync : ExchangeOutcome.Repaired);
        }
        catch (DynamoException e)
        {
            return Done(ExchangeOutcome.Failed, e.Message);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Done(ExchangeOutcome.Failed, "timed out");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.LogWarning(e, "Exchange of {Tree} with {Peer} failed", id, peer);
            return Done(ExchangeOutcome.Failed, e.GetType().Name + ": " + e.Message);
        }
        finally
        {
            if (leased) tree.EndLease(Self);
        }
    }

    /// <summary>The next reachable replica other than this silo, round-robin from the tree's reminder.</summary>
    private string? PickPeer(TreeId id, ImmutableArray<string> primaries)
    {
        var others = primaries.Where(s => s != Self).ToList();
        if (others.Count == 0) return null;
        int from = Volatile.Read(ref _schedule).Trees.TryGetValue(id, out var r) ? r.NextPeer : 0;
        for (int i = 0; i < others.Count; i++)
        {
            int k = (int)((uint)(from + i) % (uint)others.Count);
            if (!_silo.Detector.IsReachable(others[k])) continue;
            if (Transfer?.InTransit(id.Partition, others[k]) == true) continue; // the transfer is sending it the whole partition
            AdvancePeer(id, k + 1);
            return others[k];
        }
        AdvancePeer(id, from + 1);
        return null;
    }

    /// <summary>Sends both ways the sets of one batch of differing keys; returns how many keys were reconciled.</summary>
    private async Task<int> RepairAsync(string peer, TreeRef treeRef, IReadOnlyList<KeyDifference> batch, Meter meter, CancellationToken ct)
    {
        int partition = treeRef.Id.Partition;
        var push = new List<KeySet>(batch.Count);
        var fetch = new List<KeyHash>();
        foreach (var d in batch)
        {
            var local = d.LocalDigest is null ? null : await FindAsync(partition, d.Key, ct);
            if (local is null) fetch.Add(d.Key);
            else push.Add(new KeySet(local.Key, local.Siblings));
        }
        int repaired = 0;
        var fetched = fetch.ToHashSet();
        // Pushed sets go in messages within the silos' message limit; the keys to fetch with the first (the peer's answer
        // is bounded the same way, and keys it leaves out are found again by the next exchange).
        var pushes = Limits.MessageBudget.Split(push, k => Limits.MessageBudget.SizeOf(k.Key, k.Siblings), Limits.MessageBudget.BytesPerMessage(_silo.Options.Limits));
        for (int i = 0; i < pushes.Count; i++)
        {
            var result = await CallAsync(peer, new RepairKeys(treeRef, pushes[i], i == 0 ? fetch : [], Self), meter, ct);
            // Counted as the work is done, so an exchange cancelled midway (a repair whose caller gave up) still counts
            // the keys it reconciled: the pushed ones once the peer merged them, each fetched one once merged here.
            _silo.Counters.Add(AntiEntropyCounters.KeysRepaired, pushes[i].Count);
            repaired += pushes[i].Count;
            foreach (var e in result.Entries)
            {
                if (e.Key.Hash.Partition(_silo.Membership.State.PartitionCount) != partition)
                    throw DynamoException.Invalid($"{peer} answered a repair of partition {partition} with key {e.Key} of another partition");
                await Grain(partition).MergeAsync(e.Key, e.Siblings, PolicyOf(e.Key.Bucket), ct);
                if (fetched.Remove(e.Key.Hash))
                {
                    _silo.Counters.Add(AntiEntropyCounters.KeysRepaired);
                    repaired++;
                }
            }
        }
        return repaired;
    }

    /// <summary>
    /// Tombstone GC: the local keys whose set is all tombstones, past the grace period, are removed only
    /// when every other replica in the preference list confirms it holds the very same set (equal
    /// digests); then every replica removes them (each only if its set is still that one). A replica
    /// that missed the delete holds another digest, so nothing is removed until anti-entropy gave it
    /// the tombstone: the deleted value cannot come back from it.
    /// </summary>
    private async Task<int> CollectTombstonesAsync(ReplicaTree tree, ImmutableArray<string> primaries, Meter meter, CancellationToken ct)
    {
        var candidates = tree.TombstonesOlderThan(NowMs, _options.TombstoneGraceMs, _options.MaxTombstonesPerGc);
        if (candidates.Count == 0) return 0;
        var treeRef = TreeRef.Of(tree.Id, _shape);
        var others = primaries.Where(s => s != Self).ToList();
        try
        {
            var confirmed = Enumerable.Range(0, candidates.Count).ToHashSet();
            foreach (var other in others)
            {
                using (await _silo.Admission.AcquireAsync(BackgroundWork.AntiEntropyExchange, ct))
                {
                    var answer = await CallAsync(other, new TombstoneGc(treeRef, candidates, false, primaries, Self), meter, ct);
                    confirmed.IntersectWith(answer.Matched);
                }
                if (confirmed.Count == 0) return 0;
            }
            var agreed = confirmed.Order().Select(i => candidates[i]).ToList();
            foreach (var other in others)
            {
                using (await _silo.Admission.AcquireAsync(BackgroundWork.AntiEntropyExchange, ct))
                    await CallAsync(other, new TombstoneGc(treeRef, agreed, true, primaries, Self), meter, ct);
            }
            int removed = (await RemoveTombstonesAsync(tree.Id.Partition, agreed, ct)).Length;
            if (removed > 0) _log.LogDebug("Removed {Count} tombstone(s) of {Tree} held by all of [{Replicas}]", removed, tree.Id, string.Join(", ", primaries));
            return removed;
        }
        catch (DynamoException e)
        {
            // Nothing is lost: a replica that removed nothing keeps its tombstone and GC tries again.
            _log.LogDebug("Tombstone GC of {Tree} stopped: {Error}", tree.Id, e.Message);
            return 0;
        }
    }

    /// <summary>Removes the listed keys here where the stored set is still all tombstones with that digest; returns the indexes removed.</summary>
    private async Task<ImmutableArray<int>> RemoveTombstonesAsync(int partition, IReadOnlyList<(KeyHash Key, ulong Digest)> keys, CancellationToken ct)
    {
        var removed = ImmutableArray.CreateBuilder<int>();
        for (int i = 0; i < keys.Count; i++)
        {
            var entry = await FindAsync(partition, keys[i].Key, ct);
            if (entry is null || !entry.Siblings.IsDeleted || VersionDigest.Of(entry.Siblings) != keys[i].Digest) continue;
            if (await Grain(partition).RemoveAsync(entry.Key, entry.Siblings, ct)) removed.Add(i);
        }
        if (removed.Count > 0) _silo.Counters.Add(AntiEntropyCounters.TombstonesRemoved, removed.Count);
        return removed.ToImmutable();
    }

    private async Task<TResponse> CallAsync<TResponse>(string peer, ISiloRequest<TResponse> request, Meter meter, CancellationToken ct) where TResponse : notnull
    {
        Interlocked.Add(ref meter.Bytes, AntiEntropyPayload.SizeOf(request));
        TResponse response;
        try
        {
            response = await _silo.Transport.SendAsync(peer, request, CallTimeout, ct);
        }
        catch (DynamoException e) when (e.Kind is DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout)
        {
            _silo.Detector.ReportFailure(peer);
            throw;
        }
        _silo.Detector.ReportSuccess(peer);
        Interlocked.Add(ref meter.Bytes, AntiEntropyPayload.SizeOf(response));
        return response;
    }

    /// <summary>The parents whose children a request asks for (empty for the root): one per FanOut nodes.</summary>
    private ImmutableArray<int> ParentsOf(MerkleRequest request)
    {
        if (request.Level == 0) return [];
        var parents = ImmutableArray.CreateBuilder<int>(request.Nodes.Length / _shape.FanOut);
        for (int i = 0; i < request.Nodes.Length; i += _shape.FanOut) parents.Add(request.Nodes[i] / _shape.FanOut);
        return parents.MoveToImmutable();
    }

    private void Record(ExchangeResult result)
    {
        var a = _activity.GetOrAdd(result.Tree, _ => new TreeActivity());
        var now = _silo.Time.GetUtcNow();
        a.LastExchange = now;
        a.LastPeer = result.Peer;
        a.LastOutcome = result.Detail is null ? result.Outcome.ToString() : $"{result.Outcome}: {result.Detail}";
        a.Exchanges++;
        a.KeysRepaired += result.KeysRepaired;
        a.Bytes += result.Bytes;
        a.TombstonesRemoved += result.TombstonesRemoved;
        if (result.Ran) _lastCompletedExchange[result.Tree.Partition] = now;
        var c = _silo.Counters;
        if (result.Ran) c.Add(AntiEntropyCounters.Exchanges);
        if (result.Bytes > 0) c.Add(AntiEntropyCounters.Bytes, result.Bytes);
        Reschedule(result);
        if (result.Outcome == ExchangeOutcome.Repaired) _log.LogDebug("Anti-entropy {Result}", result);
    }
}
