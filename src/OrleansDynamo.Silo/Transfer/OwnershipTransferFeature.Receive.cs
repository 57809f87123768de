using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// This silo's partitions whose inbound transfer is not complete, each with the old owners still holding it
/// (<paramref name="Sources"/>) and, of those, the ones read-through asks first (<paramref name="ReadFrom"/>).
/// </summary>
public sealed record InboundTransfers(ulong Ring, long LedgerRevision, IReadOnlyDictionary<int, string[]> Sources, IReadOnlyDictionary<int, string[]> ReadFrom)
{
    public static readonly InboundTransfers None = new(0, -1, new Dictionary<int, string[]>(), new Dictionary<int, string[]>());
}

public sealed partial class OwnershipTransferFeature : IReadThrough
{
    private InboundTransfers _inboundView = InboundTransfers.None;

    /// <summary>Partitions this silo is a new owner of and has not received completely yet, ascending.</summary>
    public IReadOnlyList<int> InboundPending() => Inbound().Sources.Keys.Order().ToList();

    private async Task<TransferBatchResult> HandleBatchAsync(TransferBatch batch, CancellationToken ct)
    {
        if (batch is { Items.Count: 0, Last: true } && batch.Ring != 0)
        {
            await _ledger.MarkReceivedAsync(batch.Ring, [batch.Partition], ct);
            return new TransferBatchResult(0);
        }
        var history = _silo.Membership.History;
        if (batch.Membership != history.Digest)
        {
            _ = _silo.Membership.GossipWithAsync(batch.FromSilo, CancellationToken.None);
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                $"{_silo.Name} holds membership {history.Digest.Count} events, {batch.FromSilo} sent a transfer under another; retry after gossip");
        }
        var state = history.State;
        int q = state.PartitionCount;
        foreach (var item in batch.Items)
        {
            if (item.Key.Hash.Partition(q) != batch.Partition)
                throw DynamoException.Invalid($"key {item.Key} does not belong to partition {batch.Partition}");
        }
        _silo.Admission.NotePacedWork(batch.SenderBaselineP99Ms);
        var grain = _silo.Replicas.Get(batch.Partition);
        await Task.WhenAll(batch.Items.Select(i => grain.MergeAsync(i.Key, i.Siblings, PolicyOf(state, i.Key.Bucket), ct)));
        _inbound[batch.Partition] = _silo.Time.GetTimestamp();
        Interlocked.Add(ref _keysReceived, batch.Items.Count);
        if (batch.Last && (batch.Ring != 0 ? batch.Ring : Transition()?.Id) is { } ring)
        {
            await _ledger.MarkReceivedAsync(ring, [batch.Partition], ct);
            _log.LogDebug("Inbound transfer of partition {Partition} from {From} complete", batch.Partition, batch.FromSilo);
        }
        return new TransferBatchResult(batch.Items.Count, _silo.Admission.Pace);
    }

    /// <summary>Partitions an old replica held nothing of: complete here under its ring (accepted before this silo knows that ring).</summary>
    private async Task<TransferBatchResult> HandleCompleteAsync(TransferComplete complete, CancellationToken ct)
    {
        await _ledger.MarkReceivedAsync(complete.Ring, complete.Partitions, ct);
        return new TransferBatchResult(0);
    }

    /// <summary>An old owner's side of read-through: its own replica only, never read through again.</summary>
    private async Task<TransferReadResult> HandleReadAsync(TransferRead request, CancellationToken ct)
    {
        Interlocked.Increment(ref _readThroughsServed);
        return new(await _silo.Replicas.Get(request.Partition).ReadAsync(request.Key, ct));
    }

    /// <summary>
    /// While <paramref name="partition"/>'s inbound transfer is not complete, reads the key from the old
    /// owners still holding it, stores what they hold here (merged) and answers the merge; otherwise
    /// answers <paramref name="local"/>. An old owner that does not answer in time is skipped.
    /// <para>
    /// Only the old owners this silo replaces are asked (<see cref="ReadFromOf"/>) while one of them is reachable, else
    /// every holder: one message per read for a join or leave, not one per old replica.
    /// </para>
    /// </summary>
    public async ValueTask<SiblingSet?> ReadThroughAsync(int partition, DynamoKey key, SiblingSet? local, CancellationToken ct)
    {
        await _ledger.EnsureLoadedAsync(ct);
        var inbound = Inbound();
        if (!inbound.Sources.TryGetValue(partition, out var sources)) return local;
        var reachable = inbound.ReadFrom.TryGetValue(partition, out var first) ? first.Where(_silo.Detector.IsReachable).ToList() : [];
        if (reachable.Count == 0) reachable = sources.Where(_silo.Detector.IsReachable).ToList();
        if (reachable.Count == 0) return local;
        Interlocked.Increment(ref _readThroughs);
        int ms = _options.ReadThroughTimeoutMs > 0 ? _options.ReadThroughTimeoutMs : Math.Max(1, _silo.Options.ReplicaTimeoutMs / 2);
        var answers = await Task.WhenAll(reachable.Select(async source =>
        {
            try
            {
                var result = await _silo.Transport.SendAsync(source, new TransferRead(partition, key, _silo.Name), TimeSpan.FromMilliseconds(ms), ct);
                _silo.Detector.ReportSuccess(source);
                return result.Siblings;
            }
            catch (DynamoException e)
            {
                _log.LogDebug("Read-through of {Key} from {Source} failed: {Reason}", key, source, e.Message);
                return null;
            }
        }));
        var policy = PolicyOf(_silo.Membership.State, key.Bucket);
        SiblingSet? remote = null;
        foreach (var set in answers)
        {
            if (set is not null) remote = remote is null ? set : policy.Merge(remote, set);
        }
        if (remote is null || (local is not null && policy.Subsumes(local, remote))) return local;
        return await _silo.Replicas.Get(partition).MergeAsync(key, remote, policy, ct);
    }

    /// <summary>The inbound view for the current ring and ledger (rebuilt when either changed).</summary>
    private InboundTransfers Inbound()
    {
        var view = Volatile.Read(ref _inboundView);
        if (Transition() is not { Previous: not null } transition) return InboundTransfers.None;
        long revision = _ledger.Revision;
        if (view.Ring == transition.Id && view.LedgerRevision == revision) return view;
        var state = _silo.Membership.State;
        var received = _ledger.Received(transition.Id);
        var sources = new Dictionary<int, string[]>();
        var readFrom = new Dictionary<int, string[]>();
        for (int p = 0; p < transition.Current.PartitionCount; p++)
        {
            if (received.Contains(p)) continue;
            var owners = transition.Owners(p);
            if (!owners.Contains(_silo.Name)) continue;
            var old = transition.OldReplicas(p);
            if (old.Contains(_silo.Name)) continue;
            var holders = old.Where(s => s != _silo.Name && state.Member(s)?.Status is MemberStatus.Up or MemberStatus.Leaving).ToArray();
            if (holders.Length == 0) continue;
            sources[p] = holders;
            if (ReadFromOf(owners, old) is { Count: > 0 } replaced) readFrom[p] = holders.Where(replaced.Contains).ToArray();
        }
        view = new InboundTransfers(transition.Id, revision, sources, readFrom);
        Volatile.Write(ref _inboundView, view);
        return view;
    }

    /// <summary>
    /// The old owners a new owner's read-through may ask alone: those no longer owners (the ones the new owners replace),
    /// when there are at least as many of them as new owners. A read quorum of the new owners, each new owner standing for
    /// those it reads through, then holds at least as many old owners as it has members, so it meets every write quorum
    /// the old owners acknowledged. With fewer (the replica count grew, or nothing was displaced) it is empty: every holder is asked.
    /// </summary>
    public static IReadOnlyList<string> ReadFromOf(IReadOnlyList<string> owners, IReadOnlyList<string> oldReplicas)
    {
        var replaced = oldReplicas.Where(s => !owners.Contains(s)).ToList();
        int newcomers = owners.Count(s => !oldReplicas.Contains(s));
        return replaced.Count >= newcomers ? replaced : [];
    }
}
