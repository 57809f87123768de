using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Grains;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.Silo.Handoff;

/// <summary>A partition this silo handed to its new owners and then dropped.</summary>
public sealed record CompletedTransfer(int Partition, string FromSilo, IReadOnlyList<string> ToSilos, long KeysSent, long MembershipVersion);

/// <summary>
/// Ownership transfer (Dynamo §4.9, riak_core handoff). Every pass, for each partition this silo holds
/// keys of but is no longer among the first N of the preference list (N: the largest over buckets),
/// the keys are streamed to the partition's current primaries page by page (resumable cursor in the
/// metadata store, rate-limited, one admission slot per page) and each receiver merges them into its
/// replica. Meanwhile this silo keeps serving whatever reaches it. Only when every new owner
/// acknowledged a full pass that began with writes being captured, the ring still names the same
/// owners and no hint for another silo waits on the partition, the partition is dropped; writes that
/// landed during that last pass or the drop are then sent on (or merged back here if that fails).
/// A write that arrives later makes the partition non-empty again and the next pass moves it.
/// A leaving silo records <c>Left</c> once it holds nothing.
/// </summary>
public sealed class OwnershipTransferFeature : ISiloFeature, ITransferReporter, IPartitionChangeObserver
{
    private readonly ConcurrentDictionary<int, LateWrites> _capturing = new();
    private readonly ConcurrentDictionary<(int Partition, string To), TransferProgress> _progress = new();
    private readonly ConcurrentQueue<CompletedTransfer> _completed = new();
    private readonly ConcurrentDictionary<int, long> _inbound = new();
    private SiloRuntime _silo = null!;
    private TransferOptions _options = new();
    private TransferCursorStore _cursors = null!;
    private ILogger _log = null!;
    private long _nextSendAt;

    public int Order => 50;

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _options = silo.Options.Transfer;
        _cursors = new TransferCursorStore(silo.Store.Metadata);
        _log = silo.Loggers.CreateLogger("OrleansDynamo.Transfer");
        silo.Dispatcher.Register<TransferBatch, TransferBatchResult>(HandleBatchAsync);
        silo.WireMethods.Add(TransferWire.Create());
        silo.Grains.AddObserver(this);
        silo.TransferReporters.Add(this);
        silo.AddLoop("ownership-transfer", TimeSpan.FromMilliseconds(_options.IntervalMs), RunPassAsync);
    }

    /// <summary>Partitions this silo handed off and dropped, oldest first.</summary>
    public IReadOnlyList<CompletedTransfer> Completed => _completed.ToArray();

    /// <summary>Outbound transfers in progress.</summary>
    public IReadOnlyList<TransferProgress> Transfers() => _progress.Values.OrderBy(t => t.Partition).ThenBy(t => t.ToSilo, StringComparer.Ordinal).ToList();

    /// <summary>True while an outbound transfer is in progress or a dropped partition's late writes are not all sent.</summary>
    public bool Busy => !_progress.IsEmpty || !_capturing.IsEmpty;

    /// <summary>Partitions that received a transfer page within the last <paramref name="window"/>.</summary>
    public IReadOnlyList<int> InboundWithin(TimeSpan window) =>
        _inbound.Where(kv => _silo.Time.GetElapsedTime(kv.Value) <= window).Select(kv => kv.Key).Order().ToList();

    public void OnChanged(int partition, DynamoKey key, SiblingSet? before, SiblingSet? after)
    {
        if (after is not null && _capturing.TryGetValue(partition, out var late)) late.Add(key, after);
    }

    // ---- receiver ----

    private async Task<TransferBatchResult> HandleBatchAsync(TransferBatch batch, CancellationToken ct)
    {
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
        var grain = _silo.Grains.Get(batch.Partition);
        await Task.WhenAll(batch.Items.Select(i => grain.MergeAsync(i.Key, i.Siblings, PolicyOf(state, i.Key.Bucket), ct)));
        _inbound[batch.Partition] = _silo.Time.GetTimestamp();
        return new TransferBatchResult(batch.Items.Count);
    }

    private static ConflictPolicy PolicyOf(ClusterState state, string bucket) =>
        state.Buckets.TryGetValue(bucket, out var b) ? b.Policy : ConflictPolicy.Siblings;

    // ---- sender ----

    private static int ReplicaCount(ClusterState state) => state.Buckets.Values.Select(b => b.N).DefaultIfEmpty(BucketSettings.MaxN).Max();

    /// <summary>One pass over every partition this silo holds.</summary>
    public async Task RunPassAsync(CancellationToken ct)
    {
        await SendLateWritesOfDroppedAsync(ct);
        var state = _silo.Membership.State;
        var me = state.Member(_silo.Name);
        if (state.Ring is not { } ring || me is null || me.Status == MemberStatus.Left) return;
        int n = ReplicaCount(state);
        var held = await _silo.Store.SummarizeAllAsync(ct);
        var holding = held.Where(s => s.KeyCount > 0).Select(s => s.Partition).ToHashSet();
        foreach (var key in _progress.Keys.Where(k => !holding.Contains(k.Partition)).ToList()) _progress.TryRemove(key, out _);
        foreach (int partition in holding.Order())
        {
            var list = ring.PreferenceListFor(partition, n);
            if (list.Primaries.Contains(_silo.Name))
            {
                ClearProgress(partition);
                continue;
            }
            var targets = list.Primaries.Where(s => s != _silo.Name).ToList();
            try
            {
                await TransferAsync(partition, targets, n, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                SetState(partition, targets, "retrying: " + Describe(e));
                _log.LogDebug("Transfer of partition {Partition} paused: {Reason}", partition, Describe(e));
            }
            if (_silo.Membership.State.Version != state.Version) break; // the ring moved: recompute next pass
        }
        if (me.Status == MemberStatus.Leaving) await FinishLeavingAsync(ct);
    }

    private async Task TransferAsync(int partition, List<string> targets, int n, CancellationToken ct)
    {
        if (targets.Count == 0) return;
        if (targets.FirstOrDefault(t => !_silo.Detector.IsReachable(t)) is { } down)
        {
            SetState(partition, targets, $"waiting for {down} (unreachable)");
            return;
        }
        string signature = string.Join(",", targets);
        var saved = await _cursors.LoadAsync(partition, ct);
        if (saved is { Cursor: { } resumeAt } && saved.Targets == signature)
        {
            SetState(partition, targets, "streaming (resumed)");
            await StreamAsync(partition, targets, signature, resumeAt, ct);
        }

        // The last pass starts from the first key with writes captured, so nothing written meanwhile is missed.
        var late = new LateWrites(_options.MaxLateWrites);
        if (!_capturing.TryAdd(partition, late)) return;
        bool dropped = false;
        try
        {
            SetState(partition, targets, "streaming");
            await StreamAsync(partition, targets, signature, null, ct);
            var now = _silo.Membership.State;
            var current = now.Ring?.PreferenceListFor(partition, ReplicaCount(now)).Primaries;
            if (current is null || current.Value.Contains(_silo.Name) || current.Value.Any(s => !targets.Contains(s)))
            {
                SetState(partition, targets, "owners changed; starting over");
                return;
            }
            if (late.Overflowed)
            {
                SetState(partition, targets, "too many writes during the pass; starting over");
                return;
            }
            if (await HintWaitsAsync(partition, targets, ct))
            {
                SetState(partition, targets, "waiting for hints to be delivered");
                return;
            }
            SetState(partition, targets, "dropping");
            await _silo.Store.DropPartitionAsync(partition, ct);
            late.DroppedAt = _silo.Time.GetTimestamp();
            dropped = true;
            await _cursors.DeleteAsync(partition, ct);
            long sent = targets.Sum(t => _progress.TryGetValue((partition, t), out var p) ? p.KeysSent : 0) / targets.Count;
            await SendLateAsync(partition, targets, late, ct);
            ClearProgress(partition);
            _completed.Enqueue(new CompletedTransfer(partition, _silo.Name, targets, sent, now.Version));
            _log.LogInformation("Partition {Partition} handed to [{Targets}] and dropped ({Keys} keys)", partition, signature, sent);
        }
        finally
        {
            // After a drop the capture stays one more pass: a write persisted just before the drop may report late.
            if (!dropped) _capturing.TryRemove(new KeyValuePair<int, LateWrites>(partition, late));
        }
    }

    /// <summary>Streams a partition from <paramref name="cursor"/> to its end; every target must acknowledge every page.</summary>
    private async Task StreamAsync(int partition, List<string> targets, string signature, Storage.ScanCursor? cursor, CancellationToken ct)
    {
        while (true)
        {
            Storage.PartitionPage page;
            using (await _silo.Admission.AcquireAsync(BackgroundWork.OwnershipTransfer, ct))
            {
                page = await _silo.Store.ScanAsync(partition, cursor, _options.PageSize, ct);
                if (page.Entries.Count > 0)
                {
                    var items = page.Entries.Select(e => new TransferItem(e.Key, e.Siblings)).ToList();
                    await SendAsync(partition, targets, items, ct);
                }
            }
            cursor = page.Next;
            if (cursor is not null) await _cursors.SaveAsync(partition, signature, cursor, ct);
            await ThrottleAsync(page.Entries.Count, ct);
            if (page.IsLast) return;
        }
    }

    private async Task SendAsync(int partition, List<string> targets, IReadOnlyList<TransferItem> items, CancellationToken ct)
    {
        var batch = new TransferBatch(partition, _silo.Name, items, _silo.Membership.History.Digest);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(5000, 3L * _silo.Options.ReplicaTimeoutMs));
        await Task.WhenAll(targets.Select(async target =>
        {
            try
            {
                await _silo.Transport.SendAsync(target, batch, timeout, ct);
                _silo.Detector.ReportSuccess(target);
            }
            catch (DynamoException e) when (e.Kind is DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout)
            {
                _silo.Detector.ReportFailure(target);
                throw;
            }
            _progress.AddOrUpdate((partition, target),
                _ => new TransferProgress(partition, _silo.Name, target, items.Count, "streaming"),
                (_, p) => p with { KeysSent = p.KeysSent + items.Count });
        }));
    }

    /// <summary>Sends the writes captured around a drop; when that fails they are merged back here so a later pass moves them.</summary>
    private async Task SendLateAsync(int partition, List<string> targets, LateWrites late, CancellationToken ct)
    {
        var items = late.Drain();
        if (items.Count == 0) return;
        try
        {
            for (int i = 0; i < items.Count; i += _options.PageSize)
                await SendAsync(partition, targets, items.Skip(i).Take(_options.PageSize).ToList(), ct);
        }
        catch (Exception e) when (e is DynamoException or OperationCanceledException)
        {
            _log.LogInformation("Late writes of partition {Partition} kept here for the next pass: {Reason}", partition, Describe(e));
            var state = _silo.Membership.State;
            var grain = _silo.Grains.Get(partition);
            foreach (var item in items) await grain.MergeAsync(item.Key, item.Siblings, PolicyOf(state, item.Key.Bucket), CancellationToken.None);
        }
    }

    /// <summary>Dropped partitions keep capturing for one interval; then what was captured is sent and the capture ends.</summary>
    private async Task SendLateWritesOfDroppedAsync(CancellationToken ct)
    {
        foreach (var (partition, late) in _capturing.ToArray())
        {
            if (late.DroppedAt is not { } at || _silo.Time.GetElapsedTime(at) < TimeSpan.FromMilliseconds(_options.IntervalMs)) continue;
            _capturing.TryRemove(new KeyValuePair<int, LateWrites>(partition, late));
            var state = _silo.Membership.State;
            var targets = state.Ring?.PreferenceListFor(partition, ReplicaCount(state)).Primaries.Where(s => s != _silo.Name).ToList() ?? [];
            if (targets.Count == 0)
            {
                var grain = _silo.Grains.Get(partition);
                foreach (var item in late.Drain()) await grain.MergeAsync(item.Key, item.Siblings, PolicyOf(state, item.Key.Bucket), CancellationToken.None);
                continue;
            }
            await SendLateAsync(partition, targets, late, ct);
        }
    }

    /// <summary>True when a hint for this partition waits for a silo that is not among the owners that now hold everything.</summary>
    private async Task<bool> HintWaitsAsync(int partition, List<string> targets, CancellationToken ct)
    {
        var counts = await _silo.Store.Hints.CountByTargetAsync(ct);
        foreach (var (target, count) in counts)
        {
            if (count == 0 || targets.Contains(target)) continue;
            long after = 0;
            while (true)
            {
                var hints = await _silo.Store.Hints.ListAsync(target, after, 1000, ct);
                if (hints.Count == 0) break;
                if (hints.Any(h => h.Hint.Partition == partition)) return true;
                after = hints[^1].Id;
            }
        }
        return false;
    }

    private async Task ThrottleAsync(int keys, CancellationToken ct)
    {
        if (keys == 0) return;
        long now = _silo.Time.GetTimestamp();
        long cost = (long)((double)keys / _options.KeysPerSecond * _silo.Time.TimestampFrequency);
        long start = Math.Max(now, Interlocked.Read(ref _nextSendAt));
        Interlocked.Exchange(ref _nextSendAt, start + cost);
        long wait = start + cost - now;
        if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / _silo.Time.TimestampFrequency), _silo.Time, ct);
    }

    private async Task FinishLeavingAsync(CancellationToken ct)
    {
        if (!_capturing.IsEmpty) return;
        var held = await _silo.Store.SummarizeAllAsync(ct);
        if (held.Any(s => s.KeyCount > 0)) return;
        if (_silo.Membership.State.Member(_silo.Name)?.Status != MemberStatus.Leaving) return;
        _log.LogInformation("Silo {Silo} handed off all its partitions and has left the cluster", _silo.Name);
        await _silo.Membership.MarkLeftAsync(_silo.Name, ct);
    }

    private void SetState(int partition, List<string> targets, string state)
    {
        foreach (var target in targets)
        {
            _progress.AddOrUpdate((partition, target),
                _ => new TransferProgress(partition, _silo.Name, target, 0, state),
                (_, p) => p with { State = state });
        }
    }

    private void ClearProgress(int partition)
    {
        foreach (var key in _progress.Keys.Where(k => k.Partition == partition).ToList()) _progress.TryRemove(key, out _);
    }

    private static string Describe(Exception e) => e is DynamoException d ? d.Message : e.GetType().Name + ": " + e.Message;
}
