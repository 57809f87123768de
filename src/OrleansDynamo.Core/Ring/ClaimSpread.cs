namespace OrleansDynamo.Core.Ring;

/// <summary>
/// The spreading score <see cref="Claim"/> minimises, and the swap pass that lowers it.
/// Two partitions close on the ring cost something when they share a silo (within
/// targetN−1 positions: a preference list would have to skip one) and, less, when they
/// share a zone (within min(targetN, zones)−1 positions). Nearer pairs cost more.
/// The score only ranks layouts; it never overrides balance or minimal movement.
/// </summary>
internal sealed class ClaimSpread
{
    private const int SiloPenalty = 16;
    private const int MaxImprovePasses = 4;

    private readonly int[] _zoneOf;
    private readonly int _siloWindow;
    private readonly int _zoneWindow;
    private readonly int _window;
    private readonly int _q;

    public ClaimSpread(IReadOnlyList<SiloMember> sorted, int targetN, int partitionCount)
    {
        _q = partitionCount;
        var zoneIds = new Dictionary<string, int>(StringComparer.Ordinal);
        _zoneOf = new int[sorted.Count];
        for (int i = 0; i < sorted.Count; i++)
        {
            string zone = sorted[i].Zone ?? "";
            if (!zoneIds.TryGetValue(zone, out int id)) zoneIds[zone] = id = zoneIds.Count;
            _zoneOf[i] = id;
        }
        // Windows never reach half way round, so no pair is counted from both sides.
        int maxWindow = (partitionCount - 1) / 2;
        _siloWindow = Math.Min(targetN - 1, maxWindow);
        _zoneWindow = zoneIds.Count > 1 ? Math.Min(Math.Min(targetN, zoneIds.Count) - 1, maxWindow) : 0;
        _window = Math.Max(_siloWindow, _zoneWindow);
    }

    /// <summary>Cost of the pair of partitions at ring distance <paramref name="d"/> owned by silos a and b (−1: unassigned).</summary>
    private int Pair(int a, int b, int d)
    {
        if (a < 0 || b < 0) return 0;
        int cost = 0;
        if (a == b && d <= _siloWindow) cost += SiloPenalty * (_siloWindow + 1 - d);
        if (_zoneOf[a] == _zoneOf[b] && d <= _zoneWindow) cost += _zoneWindow + 1 - d;
        return cost;
    }

    /// <summary>Sum of the costs of every pair that involves partition p.</summary>
    public int CostAt(int[] owners, int p)
    {
        int cost = 0, mask = _q - 1;
        for (int d = 1; d <= _window; d++)
        {
            cost += Pair(owners[p], owners[(p + d) & mask], d);
            cost += Pair(owners[(p - d) & mask], owners[p], d);
        }
        return cost;
    }

    /// <summary>How much the total cost changes if partition p is given to silo <paramref name="silo"/>.</summary>
    public int PlacementDelta(int[] owners, int p, int silo)
    {
        int old = owners[p];
        int before = CostAt(owners, p);
        owners[p] = silo;
        int after = CostAt(owners, p);
        owners[p] = old;
        return after - before;
    }

    private int CostAround(int[] owners, int p, int r)
    {
        int cost = CostAt(owners, p) + CostAt(owners, r);
        int d = Math.Abs(p - r);
        d = Math.Min(d, _q - d);
        return d >= 1 && d <= _window ? cost - Pair(owners[p], owners[r], d) : cost;
    }

    /// <summary>How much the total cost changes if partitions p and r swap owners.</summary>
    public int SwapDelta(int[] owners, int p, int r)
    {
        int before = CostAround(owners, p, r);
        (owners[p], owners[r]) = (owners[r], owners[p]);
        int after = CostAround(owners, p, r);
        (owners[p], owners[r]) = (owners[r], owners[p]);
        return after - before;
    }

    /// <summary>
    /// Swaps owners among <paramref name="movable"/> partitions while a swap lowers the cost.
    /// Swaps keep every silo's count, and the movable set is exactly the partitions that move
    /// anyway, so balance and minimal movement are untouched.
    /// </summary>
    public void Improve(int[] owners, int[] movable)
    {
        if (_window == 0) return;
        for (int pass = 0; pass < MaxImprovePasses; pass++)
        {
            bool improved = false;
            foreach (int p in movable)
            {
                if (CostAt(owners, p) == 0) continue;
                int best = -1, bestDelta = 0;
                foreach (int r in movable)
                {
                    if (owners[r] == owners[p]) continue;
                    int delta = SwapDelta(owners, p, r);
                    if (delta < bestDelta) { best = r; bestDelta = delta; }
                }
                if (best < 0) continue;
                (owners[p], owners[best]) = (owners[best], owners[p]);
                improved = true;
            }
            if (!improved) return;
        }
    }

    /// <summary>Fills <paramref name="distance"/> with each partition's ring distance to the nearest partition of <paramref name="silo"/> (Q when it owns none).</summary>
    public void DistanceToNearest(int[] owners, int silo, int[] distance)
    {
        int q = _q;
        int last = -1;
        for (int k = 0; k < 2 * q; k++)
        {
            int p = k % q;
            if (owners[p] == silo) last = k;
            int d = last < 0 ? q : k - last;
            distance[p] = k < q ? d : Math.Min(distance[p], d);
        }
        last = -1;
        for (int k = 2 * q - 1; k >= 0; k--)
        {
            int p = k % q;
            if (owners[p] == silo) last = k;
            if (last >= 0) distance[p] = Math.Min(distance[p], last - k);
        }
    }
}
