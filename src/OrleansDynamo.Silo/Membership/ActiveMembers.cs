using Orleans.Runtime;

namespace OrleansDynamo.Silo.Membership;

/// <summary>What Orleans cluster membership says of silos by their name: the one reading of a snapshot that placement, liveness and the transport share.</summary>
public static class ActiveMembers
{
    /// <summary>The newest active incarnation of the silo named <paramref name="silo"/> (an older one may not be declared dead yet), or null.</summary>
    public static SiloAddress? Newest(ClusterMembershipSnapshot snapshot, string silo)
    {
        SiloAddress? chosen = null;
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Active || !string.Equals(member.Name, silo, StringComparison.Ordinal)) continue;
            if (chosen is null || member.SiloAddress.Generation > chosen.Generation) chosen = member.SiloAddress;
        }
        return chosen;
    }

    /// <summary>The names of the active silos other than <paramref name="self"/>.</summary>
    public static IReadOnlyList<string> Others(ClusterMembershipSnapshot snapshot, string self) =>
        snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active && m.Name != self).Select(m => m.Name).Distinct(StringComparer.Ordinal).ToList();
}
