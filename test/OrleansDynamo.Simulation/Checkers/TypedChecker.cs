using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Simulation.Workload;
using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation.Checkers;

/// <summary>
/// The typed workload's end state, read straight from the primaries' disks after healing: every primary of a key holds
/// the same bytes; a counter equals the sum of the acknowledged increments plus some of the failed ones (exactly the
/// acknowledged sum when none failed); an element is in the set when its add was acknowledged and nothing removed it,
/// never when an acknowledged remove that saw it ran, and never without an add.
/// </summary>
public static class TypedChecker
{
    public static List<Violation> Check(SimulatedCluster cluster, TypedWorkload workload, IReadOnlyList<string> keys)
    {
        var violations = new List<Violation>();
        var ring = cluster.Up.First().Runtime!.Membership.State.Ring!;
        foreach (var key in keys)
        {
            var counter = (PnCounter)Agreed(cluster, ring, TypedWorkload.CounterBucket, key, DataTypeKind.Counter, violations);
            long ok = workload.Increments.Where(i => i.Key == key && i.Ok).Sum(i => i.Amount);
            long failed = workload.Increments.Where(i => i.Key == key && !i.Ok).Sum(i => i.Amount);
            if (counter.Value < ok || counter.Value > ok + failed)
                violations.Add(new Violation("typed-counter", key, $"counter {counter.Value}: acknowledged increments add up to {ok}, failed ones to {failed}"));

            var set = (OrSet)Agreed(cluster, ring, TypedWorkload.SetBucket, key, DataTypeKind.Set, violations);
            var present = set.Elements.ToHashSet(StringComparer.Ordinal);
            var adds = workload.Adds.Where(a => a.Key == key).ToDictionary(a => a.Element, StringComparer.Ordinal);
            var removes = workload.Removes.Where(r => r.Key == key).ToLookup(r => r.Element, StringComparer.Ordinal);
            foreach (var e in present)
            {
                if (!adds.ContainsKey(e)) violations.Add(new Violation("typed-set", key, $"element {e} was never added"));
                if (removes[e].Any(r => r.Ok)) violations.Add(new Violation("typed-set", key, $"element {e} came back after an acknowledged remove"));
            }
            foreach (var (e, add) in adds)
            {
                if (add.Ok && !removes[e].Any() && !present.Contains(e))
                    violations.Add(new Violation("typed-set", key, $"element {e} was added (acknowledged), never removed, and is missing"));
            }
        }
        return violations;
    }

    /// <summary>The state every primary of the key holds; a violation when they differ.</summary>
    private static DataTypeState Agreed(SimulatedCluster cluster, Core.Ring.RingSnapshot ring, string bucket, string key, DataTypeKind kind, List<Violation> violations)
    {
        var dk = new DynamoKey(bucket, key);
        int partition = ring.PartitionOf(dk);
        var stored = ring.PreferenceListFor(partition, 3).Primaries
            .Select(p => cluster.Silo(p).Disk.Raw.ReadAsync(partition, dk).AsTask().GetAwaiter().GetResult())
            .ToList();
        if (stored.Distinct().Count() > 1)
            violations.Add(new Violation("typed-divergence", key, $"{bucket}: the primaries hold {stored.Distinct().Count()} different states"));
        var merged = stored.Where(s => s is not null).Aggregate(Core.Versioning.SiblingSet.Empty, (a, s) => ConflictPolicies.Of(kind).Merge(a, s!));
        return TypedValue.Unwrap(merged, kind);
    }
}
