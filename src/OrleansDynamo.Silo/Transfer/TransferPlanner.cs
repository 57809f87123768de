using System.Collections.Immutable;

namespace OrleansDynamo.Silo.Transfer;

/// <summary>What this silo does for one partition in a transfer pass.</summary>
public enum TransferRole
{
    /// <summary>Nothing to send.</summary>
    None,

    /// <summary>This silo holds keys of a partition it no longer owns: stream them to the targets, then drop the partition.</summary>
    HandOff,

    /// <summary>This silo stays an owner and is the one old replica chosen to stream the partition to its new owners.</summary>
    Replicate,

    /// <summary>This silo fell out of the partition's list holding nothing: it tells the new owners its (empty) copy is complete.</summary>
    AnnounceDone,
}

/// <summary>One partition's transfer from this silo: the role and the silos it streams to.</summary>
public sealed record PartitionTransfer(int Partition, TransferRole Role, IReadOnlyList<string> Targets)
{
    public static PartitionTransfer None(int partition) => new(partition, TransferRole.None, []);
}

/// <summary>
/// Who sends a partition to whom after a ring change (pure). Targets are only the silos NEW among the
/// partition's first N (compared with the previous ring), so a join moves about 1/S of the data once,
/// and a silo joining a cluster smaller than N (where nobody falls out) still receives every partition.
/// Per (partition, new owner) one old replica streams: an old replica that falls out of the list (it
/// must stream its copy before dropping it anyway; once recorded as left it has), or, when none of
/// those is available, the first available old replica that stays an owner. A silo holding keys of a partition it did not own
/// before the change either (a stand-in, or a hand-off left from an earlier change) streams them to
/// every current owner, as nothing tells which of them lack the keys.
/// </summary>
public static class TransferPlanner
{
    /// <param name="self">This silo.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="owners">The partition's first N now.</param>
    /// <param name="oldReplicas">Its first N before the last ring change (empty when there was no ring).</param>
    /// <param name="previousKnown">False when the history holds only one ring: nothing moves.</param>
    /// <param name="holds">Whether this silo holds keys of the partition.</param>
    /// <param name="available">Whether another silo is up, reachable and not gone, in this silo's view.</param>
    /// <param name="left">
    /// Whether a silo is recorded as left. A silo records that itself, and only once every partition it held was handed
    /// off and acknowledged: as the sender of a partition it fell out of, it has sent it, and nobody streams it again.
    /// </param>
    public static PartitionTransfer Plan(string self, int partition, ImmutableArray<string> owners, ImmutableArray<string> oldReplicas,
        bool previousKnown, bool holds, Func<string, bool> available, Func<string, bool>? left = null)
    {
        bool owner = owners.Contains(self, StringComparer.Ordinal);
        bool wasOwner = oldReplicas.Contains(self, StringComparer.Ordinal);
        var newOwners = previousKnown ? owners.Where(s => !oldReplicas.Contains(s, StringComparer.Ordinal)).ToList() : [];
        if (!owner)
        {
            if (holds)
                return new(partition, TransferRole.HandOff, wasOwner && newOwners.Count > 0 ? newOwners : owners.ToList());
            return wasOwner && newOwners.Count > 0 ? new(partition, TransferRole.AnnounceDone, newOwners) : PartitionTransfer.None(partition);
        }
        if (!wasOwner || newOwners.Count == 0) return PartitionTransfer.None(partition);
        string? sender = oldReplicas.Where(s => !owners.Contains(s, StringComparer.Ordinal))
            .Concat(oldReplicas.Where(s => owners.Contains(s, StringComparer.Ordinal)))
            .FirstOrDefault(s => s == self || available(s) || left?.Invoke(s) == true);
        return sender == self ? new(partition, TransferRole.Replicate, newOwners) : PartitionTransfer.None(partition);
    }
}
