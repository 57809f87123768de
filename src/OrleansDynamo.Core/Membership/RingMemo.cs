using System.Globalization;
using System.Text;
using OrleansDynamo.Core.Ring;

namespace OrleansDynamo.Core.Membership;

/// <summary>
/// Rings already claimed by a history and the histories it grew from, keyed by the ring they were claimed from and the
/// members they were claimed for. A claim is a pure function of those two, so a history one event longer than its
/// parent replays every earlier ring change from here and claims only the new one: a silo's ring change costs one claim
/// (about 4 ms of a core at Q = 1024) instead of one per join and leave the cluster ever had.
/// Shared by the histories of one lineage and safe to use from several threads.
/// </summary>
internal sealed class RingMemo
{
    /// <summary>Rings kept before the memo starts over (a lineage replays one per ring change of its history).</summary>
    private const int Capacity = 64;

    private readonly Dictionary<(RingSnapshot? From, string Members), RingSnapshot> _rings = [];

    /// <summary>Rings this memo claimed (not those it returned from memory).</summary>
    public int Claims { get; private set; }

    /// <summary>The ring claimed from <paramref name="from"/> (a new ring when null) for <paramref name="up"/>.</summary>
    public RingSnapshot Next(RingSnapshot? from, IReadOnlyList<SiloMember> up, int partitionCount)
    {
        var key = (from, Signature(up));
        lock (_rings)
        {
            if (_rings.TryGetValue(key, out var known)) return known;
        }
        var ring = from is null ? RingSnapshot.Create(up, partitionCount) : from.WithMembers(up);
        lock (_rings)
        {
            if (_rings.TryGetValue(key, out var raced)) return raced;
            if (_rings.Count >= Capacity) _rings.Clear();
            _rings[key] = ring;
            Claims++;
            return ring;
        }
    }

    private static string Signature(IReadOnlyList<SiloMember> up)
    {
        var text = new StringBuilder();
        foreach (var m in up)
            text.Append(m.Name).Append('\u0001').Append(m.Zone).Append('\u0001').Append(m.Weight.ToString("R", CultureInfo.InvariantCulture)).Append('\u0002');
        return text.ToString();
    }
}
