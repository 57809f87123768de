using System.Collections.Immutable;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Simulation.Workload;
using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation.Checkers;

/// <summary>One key at the end of a run, read straight from every disk.</summary>
public sealed record KeyState(
    string Key,
    ImmutableArray<string> Primaries,
    IReadOnlyDictionary<string, SiblingSet?> BySilo,
    SiblingSet? Final)
{
    public IEnumerable<SiblingSet?> AtPrimaries => Primaries.Select(p => BySilo.GetValueOrDefault(p));
}

/// <summary>What the checkers look at: the final ring, every replica's stored set of every key, hint counts, and the history.</summary>
public sealed class FinalState
{
    public required ClusterState Membership { get; init; }
    public required IReadOnlyList<KeyState> Keys { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> HintsBySilo { get; init; }
    public required IReadOnlyList<OperationRecord> History { get; init; }

    /// <summary>Whether the key's final set is the merge of the primaries only (hints delivered) or of every silo's copy.</summary>
    public required bool PrimariesOnly { get; init; }

    public static FinalState Read(SimulatedCluster cluster, IReadOnlyList<OperationRecord> history, IReadOnlyList<string> keys, bool primariesOnly)
    {
        var up = cluster.Silos.Where(s => s.IsUp).ToList();
        var membership = up[0].Runtime!.Membership.State;
        var ring = membership.Ring!;
        var states = new List<KeyState>();
        foreach (var key in keys)
        {
            var dk = new DynamoKey(ClientWorkload.Bucket, key);
            int partition = ring.PartitionOf(dk);
            var primaries = ring.PreferenceListFor(partition, 3).Primaries;
            var bySilo = new Dictionary<string, SiblingSet?>(StringComparer.Ordinal);
            foreach (var s in cluster.Silos.Where(s => !s.Retired))
                bySilo[s.Name] = s.Disk.Raw.ReadAsync(partition, dk).AsTask().GetAwaiter().GetResult();
            var sources = primariesOnly ? primaries.Select(p => bySilo.GetValueOrDefault(p)) : bySilo.Values;
            SiblingSet? final = null;
            foreach (var set in sources)
            {
                if (set is null) continue;
                final = final is null ? set : final.Merge(set);
            }
            states.Add(new KeyState(key, primaries, bySilo, final));
        }
        var hints = new Dictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var s in cluster.Silos.Where(s => !s.Retired))
            hints[s.Name] = s.Disk.Raw.Hints.CountByTargetAsync().AsTask().GetAwaiter().GetResult();
        return new FinalState { Membership = membership, Keys = states, HintsBySilo = hints, History = history, PrimariesOnly = primariesOnly };
    }
}
