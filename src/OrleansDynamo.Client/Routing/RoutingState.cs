namespace OrleansDynamo.Client.Routing;

/// <summary>
/// One consistent routing view, swapped in whole: a ring snapshot (null before the first ring
/// arrives, when only the seeds are known) and the endpoint of each of its silos, by silo index.
/// </summary>
internal sealed class RoutingState
{
    private readonly bool[] _reachable;
    private readonly bool[] _joining;

    private readonly long _rampTicks;

    /// <param name="rampTicks">How long (timestamp ticks) a silo that finished joining takes to reach its full share as coordinator.</param>
    public RoutingState(ClusterRing? ring, SiloEndpoint[] endpoints, long rampTicks = 0)
    {
        _rampTicks = rampTicks;
        Ring = ring;
        Endpoints = endpoints;
        _reachable = new bool[endpoints.Length];
        _joining = new bool[endpoints.Length];
        for (int i = 0; i < endpoints.Length; i++)
        {
            _reachable[i] = ring is null || ring.Silos[i].IsReachable;
            _joining[i] = ring is not null && ring.Silos[i].IsJoining;
        }
    }

    public ClusterRing? Ring { get; }

    public SiloEndpoint[] Endpoints { get; }

    /// <summary>The silo name of endpoint <paramref name="index"/>, or its address before a ring is known.</summary>
    public string NameOf(int index) => Ring is null ? Endpoints[index].Address : Ring.Silos[index].Name;

    /// <summary>
    /// The next silo to try, or -1 when every silo was tried. In order: the key's preference list
    /// (the first <paramref name="n"/> silos clockwise from <paramref name="partition"/>) skipping silos
    /// marked down or reported unreachable, a joining silo but for a small share of requests (one still receiving its
    /// partitions reads through to their old owners, one message more; <see cref="SiloEndpoint.JoiningShare"/> warms its
    /// request paths meanwhile) and one that has just joined but for its growing share
    /// (<see cref="SiloEndpoint.CoordinatorShare"/>); then every other usable silo starting at
    /// <paramref name="start"/> (any silo accepts a request and forwards it); then, as a last resort,
    /// the silos skipped so far. <paramref name="tried"/> (null before the first failure) marks silos already tried.
    /// <paramref name="preferred"/> (a silo index, -1 for none) goes first when it is in the preference list and usable.
    /// </summary>
    public int PickCandidate(int partition, int n, int start, bool[]? tried, long now, int preferred = -1)
    {
        int count = Endpoints.Length;
        if (count == 0) return -1;
        ReadOnlySpan<int> preference = n > 0 && Ring is not null ? Ring.PreferenceIndices(partition, n) : default;
        if ((uint)preferred < (uint)count && preference.Contains(preferred) && !WasTried(tried, preferred) && IsUsable(preferred, now)) return preferred;

        foreach (int index in preference)
        {
            if (!WasTried(tried, index) && IsUsable(index, now) && TakesItsShare(index, now)) return index;
        }
        foreach (int index in preference)
        {
            if (!WasTried(tried, index) && IsUsable(index, now)) return index;
        }
        int offset = (int)((uint)start % (uint)count);
        for (int j = 0; j < count; j++)
        {
            int index = offset + j;
            if (index >= count) index -= count;
            if (!WasTried(tried, index) && IsUsable(index, now) && !preference.Contains(index)) return index;
        }
        foreach (int index in preference)
        {
            if (!WasTried(tried, index)) return index;
        }
        for (int j = 0; j < count; j++)
        {
            int index = offset + j;
            if (index >= count) index -= count;
            if (!WasTried(tried, index) && !preference.Contains(index)) return index;
        }
        return -1;
    }

    private bool TakesItsShare(int index, long now)
    {
        double share = _joining[index] ? SiloEndpoint.JoiningShare : Endpoints[index].CoordinatorShare(now, _rampTicks);
        return share >= 1 || Random.Shared.NextDouble() < share;
    }

    private bool IsUsable(int index, long now) => _reachable[index] && !Endpoints[index].IsDown(now);

    private static bool WasTried(bool[]? tried, int index) => tried is not null && tried[index];
}
