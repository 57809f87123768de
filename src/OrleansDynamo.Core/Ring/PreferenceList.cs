using System.Collections.Immutable;

namespace OrleansDynamo.Core.Ring;

/// <summary>
/// The silos responsible for one partition (Dynamo §4.3). <see cref="Primaries"/> are the
/// first N distinct silos met walking clockwise from the partition, zone-aware: while
/// unused zones remain, a silo whose zone is already represented is skipped (as Cassandra's
/// NetworkTopologyStrategy and riak do), so with at least N zones the N replicas sit in N
/// zones. <see cref="Fallbacks"/> are all other silos in the order the walk meets them: the
/// stand-ins a sloppy quorum uses when primaries are unreachable.
/// </summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Primaries">Up to N distinct silos, in ring order; the first is the partition's owner.</param>
/// <param name="Fallbacks">Every other silo exactly once, in ring order.</param>
public sealed record PreferenceList(int Partition, ImmutableArray<string> Primaries, ImmutableArray<string> Fallbacks)
{
    /// <summary>Every silo of the ring: primaries then fallbacks.</summary>
    public IEnumerable<string> All => Primaries.Concat(Fallbacks);

    /// <summary>
    /// Chooses primaries and fallbacks from <paramref name="walk"/>, the distinct silo ids in the
    /// order met walking clockwise from the partition (silos owning no partition at the end).
    /// Ids index <paramref name="names"/> and <paramref name="zoneOf"/>; zone ids lie in [0, zoneCount).
    /// </summary>
    internal static PreferenceList Choose(
        int partition, ReadOnlySpan<int> walk, ReadOnlySpan<int> zoneOf, int zoneCount, IReadOnlyList<string> names, int n)
    {
        Span<bool> chosen = walk.Length <= 256 ? stackalloc bool[walk.Length] : new bool[walk.Length];
        Span<bool> zoneUsed = zoneCount <= 256 ? stackalloc bool[zoneCount] : new bool[zoneCount];
        int count = 0;
        // First pass: one silo per zone, new zones first.
        for (int i = 0; i < walk.Length && count < n; i++)
        {
            int zone = zoneOf[walk[i]];
            if (!zoneUsed[zone]) { zoneUsed[zone] = true; chosen[i] = true; count++; }
        }
        // Fewer zones than N: fill with the next distinct silos in ring order.
        for (int i = 0; i < walk.Length && count < n; i++)
        {
            if (!chosen[i]) { chosen[i] = true; count++; }
        }
        var primaries = ImmutableArray.CreateBuilder<string>(count);
        var fallbacks = ImmutableArray.CreateBuilder<string>(walk.Length - count);
        for (int i = 0; i < walk.Length; i++) (chosen[i] ? primaries : fallbacks).Add(names[walk[i]]);
        return new PreferenceList(partition, primaries.MoveToImmutable(), fallbacks.MoveToImmutable());
    }

    /// <summary>Value equality over the silo sequences (ImmutableArray alone compares by reference).</summary>
    public bool Equals(PreferenceList? other) =>
        other is not null && Partition == other.Partition
        && Primaries.SequenceEqual(other.Primaries, StringComparer.Ordinal)
        && Fallbacks.SequenceEqual(other.Fallbacks, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Partition);
        foreach (var s in Primaries) hash.Add(s, StringComparer.Ordinal);
        hash.Add(-1);
        foreach (var s in Fallbacks) hash.Add(s, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    public override string ToString() => $"p{Partition}: [{string.Join(", ", Primaries)}] fallbacks [{string.Join(", ", Fallbacks)}]";
}
