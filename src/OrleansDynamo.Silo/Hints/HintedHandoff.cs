using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Hints;

/// <summary>What the hinted-handoff service is doing: hints waiting and the delivery schedule, per target.</summary>
public sealed record HintedHandoffStatus(IReadOnlyDictionary<string, long> Waiting, IReadOnlyDictionary<string, HintScheduleEntry> Schedule, long Rounds);

/// <summary>
/// Hinted handoff (Dynamo §4.6): a stand-in keeps each write it took for an unreachable silo in its
/// durable hint log; this service, driven by a persisted schedule (a reminder per target), sends the
/// hints to their target in batches (a plain replica write: the target merges), deletes what was
/// delivered, backs off exponentially per target while it cannot be reached, drops hints older than
/// <see cref="HintOptions.MaxAgeMs"/> and refuses hints over <see cref="HintOptions.MaxHintsPerTarget"/>
/// (both counted; anti-entropy repairs them). A hint whose stored bytes do not decode is moved into the
/// store's quarantine, counted and logged, and delivery goes on with the hints behind it. After delivery it
/// removes keys this silo held only as a stand-in, when the target's copy covers them and no newer write arrived.
/// </summary>
public sealed class HintedHandoff : ISiloFeature, IHintSink
{
    /// <summary>Counter of keys removed from a stand-in after their hints were delivered.</summary>
    public const string StrayRemovedCounter = "hints_stray_removed";

    private readonly ConcurrentDictionary<string, long> _backlog = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private SiloRuntime _silo = null!;
    private HintOptions _options = null!;
    private ILogger _log = null!;
    private volatile bool _loaded;
    private HintSchedule _schedule = HintSchedule.Empty;
    private long _rounds;

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _options = silo.Options.Hints;
        _log = silo.Loggers.CreateLogger("OrleansDynamo.Hints");
        silo.Coordinator.HintSink = this;
        silo.AddLoop("hint-delivery", TimeSpan.FromMilliseconds(_options.DeliveryIntervalMs), DeliverRoundAsync);
    }

    /// <summary>Hints waiting and the schedule, for status pages.</summary>
    public HintedHandoffStatus Status() =>
        new(_backlog.Where(kv => kv.Value > 0).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            Volatile.Read(ref _schedule).Targets, Interlocked.Read(ref _rounds));

    public async ValueTask<bool> StoreAsync(Hint hint, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        string target = hint.TargetSilo;
        long waiting = _backlog.AddOrUpdate(target, 1, (_, n) => n + 1);
        if (waiting > _options.MaxHintsPerTarget)
        {
            _backlog.AddOrUpdate(target, 0, (_, n) => n - 1);
            Count(CounterNames.HintsDropped, target, 1);
            _log.LogDebug("Hint for {Target} dropped: {Max} hints wait for it already", target, _options.MaxHintsPerTarget);
            return false;
        }
        try
        {
            await _silo.Store.Hints.AppendAsync(hint, cancellationToken);
        }
        catch
        {
            _backlog.AddOrUpdate(target, 0, (_, n) => n - 1);
            throw;
        }
        Count(CounterNames.HintsStored, target, 1);
        return true;
    }

    /// <summary>One round of the reminder: every target that has hints and is due gets one delivery attempt.</summary>
    public async Task DeliverRoundAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        Interlocked.Increment(ref _rounds);
        var waiting = await _silo.Store.Hints.CountByTargetAsync(cancellationToken);
        var schedule = Volatile.Read(ref _schedule);
        var before = schedule;
        foreach (var (target, count) in waiting)
        {
            if (count == 0 || target == _silo.Name) continue;
            long now = NowMs;
            if (!schedule.IsDue(target, now, _options.MaxBackoffMs + _options.MaxBackoffMs / 4 + 1)) continue;
            bool drained = await DeliverToAsync(target, cancellationToken);
            schedule = drained
                ? schedule.Succeeded(target)
                : schedule.Failed(target, NowMs, _options.InitialBackoffMs, _options.MaxBackoffMs, _silo.Random.NextDouble());
            Volatile.Write(ref _schedule, schedule);
        }
        schedule = schedule.Retain(waiting.Where(kv => kv.Value > 0).Select(kv => kv.Key));
        Volatile.Write(ref _schedule, schedule);
        if (!ReferenceEquals(schedule, before) && !schedule.Equals(before))
            await _silo.Store.Metadata.SetAsync(HintSchedule.MetadataKey, schedule.Encode(), cancellationToken);
    }

    /// <summary>Sends every hint for <paramref name="target"/>, a batch at a time; false when the target could not take them.</summary>
    private async Task<bool> DeliverToAsync(string target, CancellationToken cancellationToken)
    {
        long afterId = 0;
        while (true)
        {
            using var slot = await _silo.Admission.AcquireAsync(BackgroundWork.HintDelivery, cancellationToken);
            var page = await _silo.Store.Hints.ReadPageAsync(target, afterId, _options.BatchSize, cancellationToken);
            if (page.Count == 0) return true;
            afterId = page.LastId;
            await QuarantineAsync(target, page.Undecodable, cancellationToken);

            long now = NowMs;
            var expired = page.Hints.Where(h => now - h.Hint.CreatedAtMs > _options.MaxAgeMs).Select(h => h.Id).ToList();
            if (expired.Count > 0)
            {
                await DeleteAsync(target, expired, cancellationToken);
                Count(CounterNames.HintsDropped, target, expired.Count);
                _log.LogInformation("Dropped {Count} hints for {Target} older than {MaxAge} ms; anti-entropy repairs them", expired.Count, target, _options.MaxAgeMs);
            }
            var live = page.Hints.Where(h => now - h.Hint.CreatedAtMs <= _options.MaxAgeMs).ToList();
            var results = await Task.WhenAll(live.Select(h => SendAsync(h.Hint, cancellationToken)));

            var delivered = new List<long>(live.Count);
            string? failure = null;
            for (int i = 0; i < live.Count; i++)
            {
                if (results[i].Stored is not null) delivered.Add(live[i].Id);
                else failure ??= results[i].Failure;
            }
            if (delivered.Count > 0)
            {
                await DeleteAsync(target, delivered, cancellationToken);
                Count(CounterNames.HintsDelivered, target, delivered.Count);
                _silo.Detector.ReportSuccess(target);
                if (_options.RemoveStrayData)
                {
                    for (int i = 0; i < live.Count; i++)
                    {
                        if (results[i].Stored is { } stored) await RemoveIfStrayAsync(live[i].Hint, stored, cancellationToken);
                    }
                }
            }
            if (failure is not null)
            {
                _log.LogDebug("Hint delivery to {Target} failed, backing off: {Reason}", target, failure);
                return false;
            }
            if (page.Count < _options.BatchSize) return true;
        }
    }

    private async Task<(Core.Versioning.SiblingSet? Stored, string? Failure)> SendAsync(Hint hint, CancellationToken cancellationToken)
    {
        var policy = _silo.Membership.State.Buckets.TryGetValue(hint.Key.Bucket, out var bucket) ? bucket.Policy : ConflictPolicy.Siblings;
        try
        {
            var result = await _silo.Transport.SendAsync(hint.TargetSilo,
                new ReplicaWrite(hint.Partition, hint.Key, hint.Siblings, policy, null, _silo.Name),
                TimeSpan.FromMilliseconds(_silo.Options.ReplicaTimeoutMs), cancellationToken);
            return (result.Stored, null);
        }
        catch (DynamoException e)
        {
            if (e.Kind is DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout) _silo.Detector.ReportFailure(hint.TargetSilo);
            return (null, e.Message);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (e is OperationCanceledException) _silo.Detector.ReportFailure(hint.TargetSilo);
            return (null, RequestCoordinator.Describe(e));
        }
    }

    /// <summary>
    /// Removes a key this silo held only as a stand-in: not among its primaries in the current ring, the
    /// target's stored set covers the local one, and the local set is unchanged (checked in the key's turn).
    /// </summary>
    private async Task RemoveIfStrayAsync(Hint hint, Core.Versioning.SiblingSet targetStored, CancellationToken cancellationToken)
    {
        var state = _silo.Membership.State;
        if (state.Ring is not { } ring || !state.Buckets.TryGetValue(hint.Key.Bucket, out var bucket)) return;
        if (ring.PreferenceListFor(hint.Key, bucket.N).Primaries.Contains(_silo.Name, StringComparer.Ordinal)) return;
        var grain = _silo.Replicas.Get(hint.Partition);
        var local = await grain.ReadAsync(hint.Key, cancellationToken);
        if (local is null || !bucket.Policy.Subsumes(targetStored, local)) return;
        if (await grain.RemoveAsync(hint.Key, local, cancellationToken)) _silo.Counters.Add(StrayRemovedCounter);
    }

    /// <summary>
    /// Moves hints that do not decode out of the log into the quarantine, each counted and logged once (it is
    /// gone from the log afterwards); the key it carried is left to anti-entropy.
    /// </summary>
    private async Task QuarantineAsync(string target, IReadOnlyList<UndecodableHint> undecodable, CancellationToken cancellationToken)
    {
        foreach (var bad in undecodable)
        {
            if (!await _silo.Store.Hints.QuarantineAsync(bad.Id, bad.Reason, NowMs, cancellationToken)) continue;
            Forget(target, 1);
            Count(CounterNames.HintsQuarantined, target, 1);
            _log.LogWarning("Hint {Id} for {Target} (key {Key}, partition {Partition}) does not decode and was quarantined; anti-entropy repairs the key: {Reason}",
                bad.Id, target, bad.Key, bad.Partition, bad.Reason);
        }
    }

    private async Task DeleteAsync(string target, List<long> ids, CancellationToken cancellationToken)
    {
        await _silo.Store.Hints.DeleteAsync(ids, cancellationToken);
        Forget(target, ids.Count);
    }

    private void Forget(string target, int hints) => _backlog.AddOrUpdate(target, 0, (_, n) => Math.Max(0, n - hints));

    /// <summary>Loads the persisted schedule and the backlog per target once, before the first store or round.</summary>
    private async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded) return;
        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_loaded) return;
            if (await _silo.Store.Metadata.GetAsync(HintSchedule.MetadataKey, cancellationToken) is { } bytes)
            {
                try
                {
                    Volatile.Write(ref _schedule, HintSchedule.Decode(bytes));
                }
                catch (FormatException e)
                {
                    _log.LogWarning("The persisted hint schedule does not decode ({Reason}); every target is due now", e.Message);
                }
            }
            foreach (var (target, count) in await _silo.Store.Hints.CountByTargetAsync(cancellationToken))
                _backlog.AddOrUpdate(target, count, (_, n) => n + count);
            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private void Count(string counter, string target, long n)
    {
        _silo.Counters.Add(counter, n);
        _silo.Counters.Add(counter + ":" + target, n);
    }

    private long NowMs => _silo.Time.GetUtcNow().ToUnixTimeMilliseconds();
}
