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

    public void HealAll() => _cut.Clear();

    public bool IsCut(string from, string to) => _cut.ContainsKey((from, to));
}
