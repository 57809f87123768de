using System.Collections.Concurrent;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// Monotonic named counters of one silo (read repairs, hints stored, ...), read by `dynamo status`
/// and the dashboard. Per-target counters use "name:target" keys.
/// </summary>
public sealed class SiloCounters
{
    private readonly ConcurrentDictionary<string, StrongBox> _counters = new(StringComparer.Ordinal);
    private volatile Action<string, long>? _observer;

    public void Add(string name, long delta = 1)
    {
        Interlocked.Add(ref _counters.GetOrAdd(name, _ => new StrongBox()).Value, delta);
        _observer?.Invoke(name, delta);
    }

    /// <summary>Also tells <paramref name="observer"/> of every addition (the per-second event series of the dashboard).</summary>
    public void Observe(Action<string, long> observer) => _observer += observer;

    public long Get(string name) => _counters.TryGetValue(name, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public IReadOnlyDictionary<string, long> Snapshot() =>
        _counters.ToDictionary(kv => kv.Key, kv => Interlocked.Read(ref kv.Value.Value), StringComparer.Ordinal);

    private sealed class StrongBox
    {
        public long Value;
    }
}

/// <summary>Counter names, one place.</summary>
public static class CounterNames
{
    public const string Gets = "gets";
    /// <summary>Replica reads a client asked this silo for (<c>ReadReplica</c>), each a read of this silo's own replica.</summary>
    public const string ClientReplicaReads = "client_replica_reads";
    public const string Puts = "puts";
    public const string Deletes = "deletes";
    public const string Forwarded = "forwarded";
    public const string ReadRepairs = "read_repairs";
    public const string HintsStored = "hints_stored";
    public const string HintsDelivered = "hints_delivered";
    public const string HintsDropped = "hints_dropped";
    public const string HintsQuarantined = "hints_quarantined";
    public const string ValuesQuarantined = "values_quarantined";
    public const string QuorumFailures = "quorum_failures";
    public const string InvalidRequests = "invalid_requests";
    public const string MembershipEventsRefused = "membership_events_refused";
    /// <summary>Membership checks before a hand-off that found another member on a newer membership and took it (<c>MembershipManager.CatchUpAsync</c>).</summary>
    public const string MembershipCaughtUp = "membership_caught_up";
    public const string TransferKeysSent = "transfer_keys_sent";
    public const string TransferRestedMs = "transfer_rested_ms";
}
