using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OrleansDynamo.Silo.AntiEntropy;

public sealed partial class AntiEntropyService
{
    private readonly object _scheduleLock = new();
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private AntiEntropySchedule _schedule = AntiEntropySchedule.Empty;
    private volatile bool _scheduleLoaded;
    private bool _scheduleDirty;

    /// <summary>
    /// One scheduler round: forgets trees this silo no longer holds, gives new ones a first due time
    /// (spread over one interval), and runs the exchanges that are due, at most
    /// <see cref="AntiEntropyOptions.MaxConcurrentExchanges"/> at once; then persists the reminders.
    /// </summary>
    private async Task TickAsync(CancellationToken ct)
    {
        _stopping = ct;
        await LoadScheduleAsync(ct);
        var held = HeldTrees();
        DropTrees(id => !held.Contains(id), "this silo no longer holds it");
        long now = NowMs;
        List<TreeId> due;
        lock (_scheduleLock)
        {
            var schedule = _schedule.Retain(held);
            foreach (var id in held)
            {
                if (!schedule.Trees.ContainsKey(id))
                    schedule = schedule.With(id, new ExchangeReminder(now + (long)(_silo.Random.NextDouble() * _options.ExchangeIntervalMs), 0));
            }
            if (!ReferenceEquals(schedule, _schedule))
            {
                _schedule = schedule;
                _scheduleDirty = true;
            }
            due = schedule.Trees.Where(kv => kv.Value.NextDueMs <= now).OrderBy(kv => kv.Value.NextDueMs).Select(kv => kv.Key).ToList();
        }
        if (due.Count > 0) await Task.WhenAll(due.Select(id => ExchangeAsync(id, ct)));
        await SaveScheduleAsync(ct);
    }

    /// <summary>
    /// `dynamo repair`: exchanges now for one partition (every N it is held with) or, with −1, every
    /// tree this silo holds. Waits up to <paramref name="wait"/> and reports what finished; the rest go on.
    /// Bounded however often it is asked: a tree whose repair exchange is still queued or running is not queued
    /// again (the new request waits for that one), and exchanges run at most
    /// <see cref="AntiEntropyOptions.MaxConcurrentExchanges"/> at once.
    /// </summary>
    public async Task<RepairReport> RepairNowAsync(int partition, TimeSpan wait, CancellationToken ct)
    {
        int q = _silo.Membership.State.PartitionCount;
        if (partition < -1 || partition >= q) throw DynamoException.Invalid($"partition must be -1 (all) or 0..{q - 1}, got {partition}");
        if (!_options.Enabled) throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"anti-entropy is off on {Self} (Silo:AntiEntropy:Enabled)");
        var held = HeldTrees().Where(id => partition < 0 || id.Partition == partition).Order().ToList();
        if (held.Count == 0)
        {
            var ring = _silo.Membership.State.Ring;
            string where = ring is null ? "there is no ring yet" : $"its replicas are [{string.Join(", ", ring.PreferenceListFor(Math.Max(partition, 0), 3).Primaries)}]";
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                partition < 0 ? $"{Self} holds no partition replica" : $"{Self} holds no replica of partition {partition}; {where}");
        }
        var stopping = _stopping;
        var running = held.Select(id => RepairExchangeAsync(id, stopping)).ToList();
        try
        {
            await Task.WhenAll(running).WaitAsync(wait, _silo.Time, ct);
        }
        catch (TimeoutException)
        {
        }
        await SaveScheduleAsync(CancellationToken.None);
        var finished = running.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).ToList();
        return new RepairReport(Self, finished, running.Count(t => !t.IsCompleted));
    }

    /// <summary>The repair exchange of <paramref name="id"/> a repair asked for and that has not finished; null while none.</summary>
    private readonly ConcurrentDictionary<TreeId, Task<ExchangeResult>> _repairs = new();

    /// <summary>The exchange of <paramref name="id"/> for a repair: the one queued by an earlier repair while it runs, else a new one.</summary>
    private Task<ExchangeResult> RepairExchangeAsync(TreeId id, CancellationToken stopping)
    {
        while (true)
        {
            if (_repairs.TryGetValue(id, out var queued)) return queued;
            var result = new TaskCompletionSource<ExchangeResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_repairs.TryAdd(id, result.Task)) continue;
            _ = RunRepairExchangeAsync(id, result, stopping);
            return result.Task;
        }
    }

    private async Task RunRepairExchangeAsync(TreeId id, TaskCompletionSource<ExchangeResult> result, CancellationToken stopping)
    {
        ExchangeResult? done = null;
        Exception? failure = null;
        try
        {
            done = await ExchangeAsync(id, stopping);
        }
        catch (Exception e)
        {
            failure = e;
        }
        // Forgotten before it completes: a repair asked for after this exchange finished gets an exchange of its own.
        _repairs.TryRemove(KeyValuePair.Create(id, result.Task));
        if (done is not null) result.SetResult(done);
        else if (failure is OperationCanceledException) result.SetCanceled(stopping);
        else result.SetException(failure!);
    }

    private void AdvancePeer(TreeId id, int next)
    {
        lock (_scheduleLock)
        {
            var r = _schedule.Trees.GetValueOrDefault(id, new ExchangeReminder(NowMs, 0));
            _schedule = _schedule.With(id, r with { NextPeer = next });
            _scheduleDirty = true;
        }
    }

    /// <summary>The tree's next exchange: a full interval after one that ran, sooner after one that could not.</summary>
    private void Reschedule(ExchangeResult result)
    {
        bool ran = result.Ran || result.Outcome == ExchangeOutcome.NoPeer && result.Detail == "N is 1";
        lock (_scheduleLock)
        {
            // Retries are jittered so two replicas that found each other busy do not collide again.
            long wait = ran ? _options.ExchangeIntervalMs
                : (long)(Math.Min(_options.RetryIntervalMs, _options.ExchangeIntervalMs) * (0.5 + _silo.Random.NextDouble()));
            var r = _schedule.Trees.GetValueOrDefault(result.Tree, new ExchangeReminder(0, 0));
            _schedule = _schedule.With(result.Tree, r with { NextDueMs = NowMs + wait });
            _scheduleDirty = true;
        }
    }

    private async Task LoadScheduleAsync(CancellationToken ct)
    {
        if (_scheduleLoaded) return;
        await _loadLock.WaitAsync(ct);
        try
        {
            if (_scheduleLoaded) return;
            var bytes = await _silo.Store.Metadata.GetAsync(AntiEntropySchedule.MetadataKey, ct);
            if (bytes is not null)
            {
                try
                {
                    var loaded = AntiEntropySchedule.Decode(bytes);
                    lock (_scheduleLock)
                    {
                        // Keep what exchanges recorded before the first load; the rest comes from disk.
                        var merged = loaded;
                        foreach (var (id, r) in _schedule.Trees) merged = merged.With(id, r);
                        _schedule = merged;
                    }
                    _log.LogDebug("Loaded the anti-entropy schedule: {Count} trees", loaded.Trees.Count);
                }
                catch (FormatException e)
                {
                    _log.LogWarning("The anti-entropy schedule in metadata '{Key}' is unreadable ({Error}); starting a new one", AntiEntropySchedule.MetadataKey, e.Message);
                }
            }
            _scheduleLoaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private async Task SaveScheduleAsync(CancellationToken ct)
    {
        byte[] bytes;
        lock (_scheduleLock)
        {
            if (!_scheduleDirty || !_scheduleLoaded) return;
            bytes = _schedule.Encode();
            _scheduleDirty = false;
        }
        try
        {
            await _silo.Store.Metadata.SetAsync(AntiEntropySchedule.MetadataKey, bytes, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            lock (_scheduleLock) _scheduleDirty = true;
            _log.LogWarning("Saving the anti-entropy schedule failed: {Error}", e.Message);
        }
    }
}
