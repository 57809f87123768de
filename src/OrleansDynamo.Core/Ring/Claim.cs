using System.Collections.Immutable;

namespace OrleansDynamo.Core.Ring;

/// <summary>
/// Decides which silo owns each of the Q equal partitions (Dynamo strategy 3, in the
/// manner of riak_core's claim). Three goals, in strict order:
/// <list type="number">
/// <item><b>Balance.</b> Each silo owns its weighted share of Q, rounded by the largest
/// remainder method so the shares sum to Q (equal weights: exactly floor or ceil of Q/S).</item>
/// <item><b>Minimal movement.</b> From an existing layout only the partitions of departed
/// silos and the surplus of silos above their share change hands; every other
/// partition stays where it is, so a join or leave streams about Q/S partitions.</item>
/// <item><b>Spread</b> (best effort). A silo should not own two partitions within
/// targetN−1 positions of each other, so a preference list of N reaches N distinct
/// silos after N steps; with zones, neighbouring partitions should sit in different zones.</item>
/// </list>
/// Deterministic: the same inputs give the same layout; no randomness is used.
/// </summary>
public static class Claim
{
    /// <summary>The replication factor the spreading aims for when none is given.</summary>
    public const int DefaultTargetN = 3;

    /// <summary>
    /// Computes the owner of every partition.
    /// </summary>
    /// <param name="currentOwners">The current layout (length Q), or null for a brand-new ring.
    /// Owners that are no longer members are treated as unassigned.</param>
    /// <param name="members">The silos that should own the ring; order does not matter.</param>
    /// <param name="partitionCount">Q, a power of two.</param>
    /// <param name="targetN">The replication factor the spreading aims for.</param>
    /// <returns>Partition index → owning silo name.</returns>
    public static ImmutableArray<string> Compute(
        IReadOnlyList<string>? currentOwners, IReadOnlyList<SiloMember> members, int partitionCount, int targetN = DefaultTargetN)
    {
        RingArguments.CheckPartitionCount(partitionCount, nameof(partitionCount));
        var sorted = RingArguments.SortedMembers(members, nameof(members));
        if (targetN < 1) throw new ArgumentOutOfRangeException(nameof(targetN), targetN, "targetN must be at least 1.");
        if (currentOwners is not null && currentOwners.Count != partitionCount)
            throw new ArgumentException(
                $"The current layout has {currentOwners.Count} partitions but the ring has {partitionCount}; Q is fixed at cluster creation.",
                nameof(currentOwners));

        int q = partitionCount;
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < sorted.Length; i++) indexOf[sorted[i].Name] = i;

        var owners = new int[q];
        var counts = new int[sorted.Length];
        bool anyKept = false;
        for (int p = 0; p < q; p++)
        {
            string? name = currentOwners?[p];
            owners[p] = name is not null && indexOf.TryGetValue(name, out int i) ? i : -1;
            if (owners[p] >= 0) { counts[owners[p]]++; anyKept = true; }
        }

        var targets = Targets(sorted, counts, q);
        var spread = new ClaimSpread(sorted, targetN, q);
        if (anyKept) Rebalance(owners, counts, targets, spread);
        else Stripe(owners, sorted, targets, spread);

        var result = ImmutableArray.CreateBuilder<string>(q);
        foreach (int o in owners) result.Add(sorted[o].Name);
        return result.MoveToImmutable();
    }

    /// <summary>
    /// Weighted shares by the largest remainder method. Ties between equal remainders go to
    /// the silo that already owns more, then to the earlier name, so an unchanged membership
    /// keeps its shares and a join does not shuffle which silos hold the extra partition.
    /// </summary>
    internal static int[] Targets(IReadOnlyList<SiloMember> sorted, IReadOnlyList<int> counts, int q)
    {
        int s = sorted.Count;
        double total = 0;
        foreach (var m in sorted) total += m.Weight;
        var targets = new int[s];
        var fraction = new long[s];
        int assigned = 0;
        for (int i = 0; i < s; i++)
        {
            double exact = q * (sorted[i].Weight / total);
            int floor = (int)Math.Clamp(Math.Floor(exact), 0, q);
            targets[i] = floor;
            fraction[i] = (long)Math.Round((exact - floor) * 1e9); // quantised so near-equal remainders tie
            assigned += floor;
        }
        var order = Enumerable.Range(0, s)
            .OrderByDescending(i => fraction[i]).ThenByDescending(i => counts[i]).ThenBy(i => i)
            .ToArray();
        for (int k = 0; assigned < q; k = (k + 1) % s) { targets[order[k]]++; assigned++; }
        for (int k = s - 1; assigned > q; k = (k + s - 1) % s)
        {
            if (targets[order[k]] > 0) { targets[order[k]]--; assigned--; }
        }
        return targets;
    }

    /// <summary>
    /// First claim of an empty ring: smooth weighted round-robin over the silos with zones
    /// interleaved, which for equal weights is the plain stripe p → silo p mod S, then a
    /// swap pass to clear what the stripe leaves at the wrap-around.
    /// </summary>
    private static void Stripe(int[] owners, SiloMember[] sorted, int[] targets, ClaimSpread spread)
    {
        int q = owners.Length;
        var order = ZoneInterleavedOrder(sorted);
        var credit = new long[sorted.Length];
        for (int p = 0; p < q; p++)
        {
            int best = -1;
            foreach (int i in order)
            {
                credit[i] += targets[i];
                if (best < 0 || credit[i] > credit[best]) best = i;
            }
            owners[p] = best;
            credit[best] -= q;
        }
        spread.Improve(owners, Enumerable.Range(0, q).ToArray());
    }

    /// <summary>Silos ordered round-robin across zones (zone names sorted, silos by name within a zone).</summary>
    private static int[] ZoneInterleavedOrder(SiloMember[] sorted)
    {
        var byZone = Enumerable.Range(0, sorted.Length)
            .GroupBy(i => sorted[i].Zone ?? "", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.ToArray())
            .ToArray();
        var order = new List<int>(sorted.Length);
        for (int round = 0; order.Count < sorted.Length; round++)
        {
            foreach (var zone in byZone)
            {
                if (round < zone.Length) order.Add(zone[round]);
            }
        }
        return order.ToArray();
    }

    /// <summary>
    /// Moves the fewest partitions that reach the targets: orphaned partitions go to the silos
    /// below their share, then silos still below take from silos above. Each choice picks the
    /// placement that hurts spread least and, among those, the one farthest from the taker's
    /// other partitions. Finally the moved partitions may swap owners among themselves, which
    /// improves spread without changing counts or how many partitions moved.
    /// </summary>
    private static void Rebalance(int[] owners, int[] counts, int[] targets, ClaimSpread spread)
    {
        int q = owners.Length, s = targets.Length;
        var need = new int[s]; // > 0: below share; < 0: surplus to give away
        for (int i = 0; i < s; i++) need[i] = targets[i] - counts[i];
        var moved = new List<int>();

        for (int p = 0; p < q; p++)
        {
            if (owners[p] >= 0) continue;
            int best = -1, bestCost = 0;
            for (int i = 0; i < s; i++)
            {
                if (need[i] <= 0) continue;
                int cost = spread.PlacementDelta(owners, p, i);
                if (best < 0 || cost < bestCost || (cost == bestCost && need[i] > need[best])) { best = i; bestCost = cost; }
            }
            owners[p] = best;
            need[best]--;
            moved.Add(p);
        }

        var distance = new int[q];
        while (true)
        {
            int taker = -1;
            for (int i = 0; i < s; i++)
            {
                if (need[i] > 0 && (taker < 0 || need[i] > need[taker])) taker = i;
            }
            if (taker < 0) break;

            spread.DistanceToNearest(owners, taker, distance);
            int best = -1, bestCost = 0;
            for (int p = 0; p < q; p++)
            {
                int giver = owners[p];
                if (need[giver] >= 0) continue;
                int cost = spread.PlacementDelta(owners, p, taker);
                if (best < 0 || cost < bestCost
                    || (cost == bestCost && (distance[p] > distance[best]
                        || (distance[p] == distance[best] && need[giver] < need[owners[best]]))))
                {
                    best = p;
                    bestCost = cost;
                }
            }
            need[owners[best]]++;
            owners[best] = taker;
            need[taker]--;
            moved.Add(best);
        }

        spread.Improve(owners, moved.ToArray());
    }
}
