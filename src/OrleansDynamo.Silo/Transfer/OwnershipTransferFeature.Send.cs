using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Transfer;

public sealed partial class OwnershipTransferFeature
{
    /// <summary>One pass over every partition (the background loop; a membership change also starts one).</summary>
    public async Task RunPassAsync(CancellationToken ct)
    {
        _stopping = ct;
        await _pass.WaitAsync(ct);
        try
        {
            await PassAsync(ct);
        }
        finally
        {
            _pass.Release();
        }
        if (Volatile.Read(ref _kickRequested) == 1) Kick();
    }

    /// <summary>
    /// A membership change starts a pass at once (or right after the running one), so new owners hear
    /// about finished and empty partitions without waiting an interval.
    /// </summary>
    private void Kick()
    {
        if (_stopping.IsCancellationRequested) return;
        Interlocked.Exchange(ref _kickRequested, 1);
        _ = KickedPassAsync(_stopping);
    }

    private async Task KickedPassAsync(CancellationToken ct)
    {
        await Task.Yield(); // off the thread that merged the membership
        try
        {
            while (Volatile.Read(ref _kickRequested) == 1)
            {
                if (!await _pass.WaitAsync(0, ct)) return; // the running pass kicks again when it ends
                try
                {
                    Interlocked.Exchange(ref _kickRequested, 0);
                    await PassAsync(ct);
                }
                finally
                {
                    _pass.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            _log.LogDebug("A transfer pass after a membership change failed: {Reason}", Describe(e));
        }
    }

    private async Task PassAsync(CancellationToken ct)
    {
        await SendLateWritesOfDroppedAsync(ct);
        await _ledger.EnsureLoadedAsync(ct);
        var state = _silo.Membership.State;
        var me = state.Member(_silo.Name);
        if (Transition() is not { } transition || me is null || me.Status == MemberStatus.Left) return;
        var held = await _silo.Store.SummarizeAllAsync(ct);
        var holding = held.Where(s => s.KeyCount > 0).Select(s => s.Partition).ToHashSet();
        var sent = _ledger.Sent(transition.Id);
        StartCounting();
        var plans = Enumerable.Range(0, transition.Current.PartitionCount)
            .Select(p => PlanFor(state, transition, p, holding.Contains(p)))
            .Where(plan => plan.Role == TransferRole.HandOff || (plan.Role != TransferRole.None && !sent.Contains(plan.Partition)))
            .ToList();
        var counts = held.ToDictionary(h => h.Partition, h => h.KeyCount);
        foreach (var plan in plans) _plannedKeys[plan.Partition] = counts.GetValueOrDefault(plan.Partition);
        var planned = plans.Select(p => p.Partition).ToHashSet();
        foreach (int p in _plannedKeys.Keys.Where(p => !planned.Contains(p)).ToList()) _plannedKeys.TryRemove(p, out _);
        Volatile.Write(ref _outbound, new ConcurrentDictionary<int, IReadOnlyList<string>>(plans.Select(p => KeyValuePair.Create(p.Partition, p.Targets))));
        foreach (var key in _progress.Keys.Where(k => !_outbound.ContainsKey(k.Partition)).ToList()) _progress.TryRemove(key, out _);
        bool refused = false;
        var empty = plans.Where(p => p.Role == TransferRole.AnnounceDone || (p.Role == TransferRole.Replicate && !holding.Contains(p.Partition))).ToList();
        if (empty.Count > 0) await AnnounceCompleteAsync(empty, transition, ct);
        foreach (var plan in plans.Except(empty))
        {
            int partition = plan.Partition;
            try
            {
                switch (plan.Role)
                {
                    case TransferRole.HandOff:
                        await HandOffAsync(plan, transition, ct);
                        break;
                    case TransferRole.Replicate:
                        await ReplicateAsync(plan, transition, ct);
                        break;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                refused |= e is DynamoException { Kind: DynamoErrorKind.FailedPrecondition };
                SetState(partition, plan.Targets, "retrying: " + Describe(e));
                _log.LogDebug("Transfer of partition {Partition} paused: {Reason}", partition, Describe(e));
            }
            if (_silo.Membership.State.Version != state.Version) break; // the ring moved: recompute next pass
        }
        if (me.Status == MemberStatus.Leaving) await FinishLeavingAsync(ct);
        if (refused) _ = RetrySoonAsync(ct);
        Interlocked.Increment(ref _passes);
    }

    /// <summary>A receiver refused pages until gossip makes the memberships equal: try again after one gossip interval, not a whole pass interval.</summary>
    private async Task RetrySoonAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(_silo.Options.GossipIntervalMs), _silo.Time, ct);
            Kick();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Partitions this silo holds nothing of are complete for their new owners at once: one message per
    /// new owner names them all. A partition counts as sent when every one of its targets acknowledged.
    /// </summary>
    private async Task AnnounceCompleteAsync(List<PartitionTransfer> plans, RingTransition transition, CancellationToken ct)
    {
        var byTarget = plans.SelectMany(p => p.Targets.Select(t => (Target: t, p.Partition))).GroupBy(x => x.Target, x => x.Partition);
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(5000, 3L * _silo.Options.ReplicaTimeoutMs));
        await Task.WhenAll(byTarget.Select(async group =>
        {
            var partitions = group.Order().ToList();
            if (!_silo.Detector.IsReachable(group.Key))
            {
                foreach (int p in partitions) SetState(p, [group.Key], $"waiting for {group.Key} (unreachable)");
                return;
            }
            try
            {
                await _silo.Transport.SendAsync(group.Key, new TransferComplete(partitions, _silo.Name, transition.Id), timeout, ct);
                _silo.Detector.ReportSuccess(group.Key);
                lock (acknowledged) acknowledged.Add(group.Key);
            }
            catch (DynamoException e)
            {
                if (e.Kind is DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout) _silo.Detector.ReportFailure(group.Key);
                foreach (int p in partitions) SetState(p, [group.Key], "retrying: " + e.Message);
            }
        }));
        var done = plans.Where(p => p.Targets.All(acknowledged.Contains)).Select(p => p.Partition).ToList();
        if (done.Count == 0) return;
        await _ledger.MarkSentAsync(transition.Id, done, ct);
        foreach (int p in done) Finished(p);
    }

    private PartitionTransfer PlanFor(ClusterState state, RingTransition transition, int partition, bool holds) =>
        TransferPlanner.Plan(_silo.Name, partition, transition.Owners(partition), transition.OldReplicas(partition),
            transition.Previous is not null, holds, s => Available(state, s), s => state.Member(s)?.Status == MemberStatus.Left);

    private static string Signature(RingTransition transition, IReadOnlyList<string> targets) => $"{transition.Id:x16}:{string.Join(",", targets)}";

    /// <summary>Whether a target cannot be reached now; the transfer then waits for the next pass.</summary>
    private bool WaitingFor(int partition, IReadOnlyList<string> targets)
    {
        if (targets.FirstOrDefault(t => !_silo.Detector.IsReachable(t)) is not { } down) return false;
        SetState(partition, targets, $"waiting for {down} (unreachable)");
        return true;
    }

    /// <summary>An owner that stays one streams the partition to its new owners (resuming from a saved cursor); it keeps its copy.</summary>
    private async Task ReplicateAsync(PartitionTransfer plan, RingTransition transition, CancellationToken ct)
    {
        int partition = plan.Partition;
        var targets = plan.Targets.ToList();
        if (WaitingFor(partition, targets)) return;
        string signature = Signature(transition, targets);
        var saved = await _cursors.LoadAsync(partition, ct);
        Storage.ScanCursor? from = null;
        if (saved is { Cursor: { } resumeAt } && saved.Targets == signature)
        {
            from = resumeAt;
            Interlocked.Increment(ref _resumes);
            SetState(partition, targets, "streaming (resumed)");
        }
        else SetState(partition, targets, "streaming");
        await StreamAsync(partition, targets, transition.Id, signature, from, last: true, ct);
        if (_silo.Membership.State.Ring is not { } now || transition.Current.Version != now.Version) return;
        await _ledger.MarkSentAsync(transition.Id, [partition], ct);
        await _cursors.DeleteAsync(partition, ct);
        long sent = KeysSent(partition, targets);
        Finished(partition);
        _completed.Enqueue(new CompletedTransfer(partition, _silo.Name, targets, sent, _silo.Membership.State.Version, Dropped: false));
        CountCompleted(sent);
        _log.LogInformation("Partition {Partition} streamed to new owners [{Targets}] ({Keys} keys)", partition, string.Join(",", targets), sent);
    }

    /// <summary>A silo that no longer owns the partition streams what it holds to the targets, then drops it.</summary>
    private async Task HandOffAsync(PartitionTransfer plan, RingTransition transition, CancellationToken ct)
    {
        int partition = plan.Partition;
        var targets = plan.Targets.ToList();
        if (targets.Count == 0 || WaitingFor(partition, targets)) return;
        if (!await StillHandingOffAsync(partition, targets, ct))
        {
            SetState(partition, targets, "owners changed; starting over");
            return;
        }
        string signature = Signature(transition, targets);
        var saved = await _cursors.LoadAsync(partition, ct);
        if (saved is { Cursor: { } resumeAt } && saved.Targets == signature)
        {
            Interlocked.Increment(ref _resumes);
            SetState(partition, targets, "streaming (resumed)");
            await StreamAsync(partition, targets, transition.Id, signature, resumeAt, last: false, ct);
        }

        // The last pass starts from the first key with writes captured, so nothing written meanwhile is missed.
        var late = new LateWrites(_options.MaxLateWrites);
        if (!_capturing.TryAdd(partition, late)) return;
        bool dropped = false;
        try
        {
            SetState(partition, targets, "streaming");
            await StreamAsync(partition, targets, transition.Id, signature, null, last: true, ct);
            if (!await StillHandingOffAsync(partition, targets, ct))
            {
                SetState(partition, targets, "owners changed; starting over");
                return;
            }
            if (late.Overflowed)
            {
                SetState(partition, targets, "too many writes during the pass; starting over");
                return;
            }
            if (await HintWaitsAsync(partition, transition.Owners(partition), ct))
            {
                SetState(partition, targets, "waiting for hints to be delivered");
                return;
            }
            SetState(partition, targets, "dropping");
            await _silo.Replicas.Epoch.BumpAsync(ct);
            await _silo.Store.DropPartitionAsync(partition, ct);
            late.DroppedAt = _silo.Time.GetTimestamp();
            dropped = true;
            await _cursors.DeleteAsync(partition, ct);
            await _ledger.MarkSentAsync(transition.Id, [partition], ct);
            long sent = KeysSent(partition, targets);
            await SendLateAsync(partition, targets, late, ct);
            Finished(partition);
            _completed.Enqueue(new CompletedTransfer(partition, _silo.Name, targets, sent, _silo.Membership.State.Version));
            CountCompleted(sent);
            _log.LogInformation("Partition {Partition} handed to [{Targets}] and dropped ({Keys} keys)", partition, signature, sent);
        }
        finally
        {
            // After a drop the capture stays one more pass: a write persisted just before the drop may report late.
            if (!dropped) _capturing.TryRemove(new KeyValuePair<int, LateWrites>(partition, late));
        }
    }

    /// <summary>
    /// Whether this silo still hands <paramref name="partition"/> to <paramref name="targets"/> once it has caught up with
    /// the other members' membership (<see cref="Membership.MembershipManager.CatchUpAsync"/>): a silo that learned of a
    /// ring change first already writes to the new owners, so a silo still on the ring before it would hand away keys
    /// it is about to own again, and they would move twice. Asked before the partition is streamed and again before it is dropped.
    /// </summary>
    private async Task<bool> StillHandingOffAsync(int partition, List<string> targets, CancellationToken ct)
    {
        await _silo.Membership.CatchUpAsync(ct);
        var again = Transition() is { } t ? PlanFor(_silo.Membership.State, t, partition, holds: true) : null;
        return again is { Role: TransferRole.HandOff } && again.Targets.SequenceEqual(targets);
    }

    private long KeysSent(int partition, List<string> targets) =>
        targets.Count == 0 ? 0 : targets.Sum(t => _progress.TryGetValue((partition, t), out var p) ? p.KeysSent : 0) / targets.Count;

    /// <summary>
    /// Streams a partition from <paramref name="cursor"/> to its end; every target must acknowledge every
    /// page. With <paramref name="last"/> the final page (empty if need be) marks the pass complete.
    /// </summary>
    private async Task StreamAsync(int partition, List<string> targets, ulong ring, string signature, Storage.ScanCursor? cursor, bool last, CancellationToken ct)
    {
        while (true)
        {
            Storage.PartitionPage page;
            double pace = 1;
            TimeSpan worked;
            using (await _silo.Admission.AcquireAsync(BackgroundWork.OwnershipTransfer, ct))
            {
                long started = _silo.Time.GetTimestamp();
                page = await _silo.Store.ScanAsync(partition, cursor, _options.PageSize, ct);
                if (page.Entries.Count > 0 || (page.IsLast && last))
                {
                    // A page of large values goes as several batches, each within the silos' message limit.
                    var batches = Batches(page.Entries.Select(e => new TransferItem(e.Key, e.Siblings)).ToList());
                    for (int b = 0; b < batches.Count; b++)
                        pace = Math.Min(pace, await SendAsync(partition, targets, batches[b], last && page.IsLast && b == batches.Count - 1, ring, ct));
                }
                worked = _silo.Time.GetElapsedTime(started);
            }
            // Not sent: the new owners get such a key from the replicas that hold it, by anti-entropy.
            if (page.Undecodable.Count > 0) await _silo.Replicas.QuarantineAsync(page.Undecodable, ct);
            cursor = page.Next;
            if (cursor is not null) await _cursors.SaveAsync(partition, signature, cursor, ct);
            await RestAsync(worked, Math.Min(pace, _silo.Admission.Pace), ct);
            await ThrottleAsync(page.Entries.Count, ct);
            if (page.IsLast) return;
        }
    }

    /// <summary>
    /// Yields to the foreground: after a page that took <paramref name="worked"/>, rests <c>worked × (1/pace − 1)</c>, so
    /// the transfer runs a <paramref name="pace"/> share of its time (the slower of this silo's admission pace and the
    /// receivers'). At most 10 s at a time.
    /// </summary>
    private async Task RestAsync(TimeSpan worked, double pace, CancellationToken ct)
    {
        var rest = BackgroundWorkKinds.RestAfter(worked, pace);
        if (rest <= TimeSpan.Zero) return;
        _silo.Counters.Add(CounterNames.TransferRestedMs, (long)rest.TotalMilliseconds);
        await Task.Delay(rest, _silo.Time, ct);
    }

    /// <summary><paramref name="items"/> cut into batches of at most half the silos' message limit (<see cref="Limits.MessageBudget"/>).</summary>
    private List<List<TransferItem>> Batches(IReadOnlyList<TransferItem> items) =>
        Limits.MessageBudget.Split(items, i => Limits.MessageBudget.SizeOf(i.Key, i.Siblings), Limits.MessageBudget.BytesPerMessage(_silo.Options.Limits));

    /// <summary>Sends one batch to every target (all must acknowledge); returns the slowest pace they asked for.</summary>
    private async Task<double> SendAsync(int partition, List<string> targets, IReadOnlyList<TransferItem> items, bool last, ulong ring, CancellationToken ct)
    {
        var batch = new TransferBatch(partition, _silo.Name, items, _silo.Membership.History.Digest, last, ring, _silo.Admission.BaselineP99Ms);
        var timeout = TimeSpan.FromMilliseconds(Math.Max(5000, 3L * _silo.Options.ReplicaTimeoutMs));
        var paces = await Task.WhenAll(targets.Select(async target =>
        {
            TransferBatchResult result;
            try
            {
                result = await _silo.Transport.SendAsync(target, batch, timeout, ct);
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
            _rate.Add(_silo.Time.GetTimestamp(), items.Count);
            Interlocked.Add(ref _keysSentInChange, items.Count);
            return result.Pace;
        }));
        return paces.DefaultIfEmpty(1).Min();
    }

    /// <summary>Sends the writes captured around a drop; when that fails they are merged back here so a later pass moves them.</summary>
    private async Task SendLateAsync(int partition, List<string> targets, LateWrites late, CancellationToken ct)
    {
        var items = late.Drain();
        if (items.Count == 0) return;
        try
        {
            foreach (var page in items.Chunk(_options.PageSize))
            {
                foreach (var batch in Batches(page)) await SendAsync(partition, targets, batch, last: false, ring: 0, ct);
            }
        }
        catch (Exception e) when (e is DynamoException or OperationCanceledException)
        {
            _log.LogInformation("Late writes of partition {Partition} kept here for the next pass: {Reason}", partition, Describe(e));
            var state = _silo.Membership.State;
            var grain = _silo.Replicas.Get(partition);
            foreach (var item in items) await grain.MergeAsync(item.Key, item.Siblings, PolicyOf(state, item.Key.Bucket), CancellationToken.None);
        }
    }

    /// <summary>Dropped partitions keep capturing for one interval; then what was captured is sent to the current owners and the capture ends.</summary>
    private async Task SendLateWritesOfDroppedAsync(CancellationToken ct)
    {
        bool caughtUp = false;
        foreach (var (partition, late) in _capturing.ToArray())
        {
            if (late.DroppedAt is not { } at || _silo.Time.GetElapsedTime(at) < TimeSpan.FromMilliseconds(_options.IntervalMs)) continue;
            // The current owners, as the other members know them too (as before a hand-off).
            if (!caughtUp) await _silo.Membership.CatchUpAsync(ct);
            caughtUp = true;
            _capturing.TryRemove(new KeyValuePair<int, LateWrites>(partition, late));
            var state = _silo.Membership.State;
            var targets = state.Ring?.PreferenceListFor(partition, ReplicaCount(state)).Primaries.Where(s => s != _silo.Name).ToList() ?? [];
            if (targets.Count == 0)
            {
                var grain = _silo.Replicas.Get(partition);
                foreach (var item in late.Drain()) await grain.MergeAsync(item.Key, item.Siblings, PolicyOf(state, item.Key.Bucket), CancellationToken.None);
                continue;
            }
            await SendLateAsync(partition, targets, late, ct);
        }
    }

    /// <summary>True when a hint for this partition waits for a silo that is not among its current owners.</summary>
    private async Task<bool> HintWaitsAsync(int partition, IReadOnlyList<string> owners, CancellationToken ct)
    {
        var counts = await _silo.Store.Hints.CountByTargetAsync(ct);
        foreach (var (target, count) in counts)
        {
            if (count == 0 || owners.Contains(target)) continue;
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

    /// <summary>Keeps the keys sent by this silo, over all transfers, under <see cref="TransferOptions.KeysPerSecond"/>.</summary>
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

    private void SetState(int partition, IReadOnlyList<string> targets, string state)
    {
        foreach (var target in targets)
        {
            _progress.AddOrUpdate((partition, target),
                _ => new TransferProgress(partition, _silo.Name, target, 0, state),
                (_, p) => p with { State = state });
        }
    }

    private void Finished(int partition)
    {
        _outbound.TryRemove(partition, out _);
        ClearProgress(partition);
    }

    private void ClearProgress(int partition)
    {
        foreach (var key in _progress.Keys.Where(k => k.Partition == partition).ToList()) _progress.TryRemove(key, out _);
    }

    /// <summary>Counts a finished partition transfer for status, metrics and the dashboard.</summary>
    private void CountCompleted(long keysSent)
    {
        _silo.Counters.Add(Diagnostics.MetricsFeature.TransfersCompletedCounter);
        _silo.Counters.Add(CounterNames.TransferKeysSent, keysSent);
    }
}
