using System.Collections.Concurrent;

namespace OrleansDynamo.TestingHost;

/// <summary>Which silo-to-silo links a test has cut (directional).</summary>
public sealed class LinkTable
{
    private readonly ConcurrentDictionary<(string From, string To), bool> _cut = new();

    public void Cut(string a, string b, bool oneWay = false)
    {
        _cut[(a, b)] = true;
        if (!oneWay) _cut[(b, a)] = true;
    }

    public void Heal(string a, string b, bool oneWay = false)
    {
        _cut.TryRemove((a, b), out _);
        if (!oneWay) _cut.TryRemove((b, a), out _);
    }

    public void HealAll()
    {
        _cut.Clear();
        _cutFor.Clear();
        _held.Clear();
    }

    private readonly ConcurrentDictionary<string, bool> _held = new(StringComparer.Ordinal);

    /// <summary>
    /// Gossip reaches <paramref name="silo"/> without the histories it carries: the silo keeps the membership it has (as
    /// if every change reached it late) while gossip still counts as its heartbeats and every other call goes through.
    /// </summary>
    public void HoldMembership(string silo) => _held[silo] = true;

    public void ReleaseMembership(string silo) => _held.TryRemove(silo, out _);

    public bool IsHeld(string silo) => _held.ContainsKey(silo);

    private readonly ConcurrentDictionary<(string From, string To), int> _cutFor = new();

    /// <summary>
    /// Cuts the link from <paramref name="from"/> to <paramref name="to"/> (a silo's name, or an address as a call names
    /// its target) for its next <paramref name="calls"/> calls only: each refused call uses one up, then the link heals.
    /// </summary>
    public void CutFor(string from, string to, int calls)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(calls);
        _cutFor[(from, to)] = calls;
    }

    /// <summary>How many calls a <see cref="CutFor"/> cut from <paramref name="from"/> to <paramref name="to"/> has still to refuse.</summary>
    public int CutCallsLeft(string from, string to) => _cutFor.TryGetValue((from, to), out int left) ? left : 0;

    public bool IsCut(string from, string to)
    {
        if (_cut.ContainsKey((from, to))) return true;
        while (_cutFor.TryGetValue((from, to), out int left))
        {
            if (left <= 0) return false;
            if (_cutFor.TryUpdate((from, to), left - 1, left)) return true;
        }
        return false;
    }
}
