using System.Runtime.CompilerServices;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Membership;

/// <summary>What Orleans cluster membership says of silos by their name: the one reading of a snapshot that placement, liveness and the transport share.</summary>
public static class ActiveMembers
{
    /// <summary>
    /// The newest active incarnation of the silo named <paramref name="silo"/> (an older one may not be declared dead yet), or null.
    /// Asked several times for every request (liveness of each replica, the transport, placement), so each snapshot is read
    /// once into an index by name: Orleans keeps one snapshot object until membership changes, and a snapshot never changes.
    /// </summary>
    public static SiloAddress? Newest(ClusterMembershipSnapshot snapshot, string silo) =>
        NewestByName.GetValue(snapshot, static s => Index(s)).GetValueOrDefault(silo);

    private static readonly ConditionalWeakTable<ClusterMembershipSnapshot, Dictionary<string, SiloAddress>> NewestByName = new();

    private static Dictionary<string, SiloAddress> Index(ClusterMembershipSnapshot snapshot)
    {
        var newest = new Dictionary<string, SiloAddress>(StringComparer.Ordinal);
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Active || member.Name is null) continue;
            if (!newest.TryGetValue(member.Name, out var chosen) || member.SiloAddress.Generation > chosen.Generation) newest[member.Name] = member.SiloAddress;
        }
        return newest;
    }

    /// <summary>The names of the active silos other than <paramref name="self"/>.</summary>
    public static IReadOnlyList<string> Others(ClusterMembershipSnapshot snapshot, string self) =>
        snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active && m.Name != self).Select(m => m.Name).Distinct(StringComparer.Ordinal).ToList();
}
