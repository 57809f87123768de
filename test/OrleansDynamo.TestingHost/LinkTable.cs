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

    public bool IsCut(string from, string to) => _cut.ContainsKey((from, to));
}
