using System.Collections.Immutable;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// The second step of anti-entropy: given both replicas' keys and digests in the differing
/// segments (see <see cref="MerkleExchange.DifferingSegments"/>), the keys to repair.
/// </summary>
public static class SegmentDiff
{
    /// <summary>
    /// Keys present on one side only or with different digests, ordered by key. Inputs may be in
    /// any order; a key listed twice on one side is an <see cref="ArgumentException"/>.
    /// </summary>
    public static ImmutableArray<KeyDifference> Compare(
        IReadOnlyList<(KeyHash Key, ulong Digest)> local,
        IReadOnlyList<(KeyHash Key, ulong Digest)> remote)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(remote);
        var remoteByKey = new Dictionary<KeyHash, ulong>(remote.Count);
        foreach (var (key, digest) in remote)
        {
            if (!remoteByKey.TryAdd(key, digest)) throw new ArgumentException($"key {key} is listed twice", nameof(remote));
        }

        var result = ImmutableArray.CreateBuilder<KeyDifference>();
        var seen = new HashSet<KeyHash>(local.Count);
        foreach (var (key, digest) in local)
        {
            if (!seen.Add(key)) throw new ArgumentException($"key {key} is listed twice", nameof(local));
            if (!remoteByKey.TryGetValue(key, out ulong theirs)) result.Add(new KeyDifference(key, digest, null));
            else if (theirs != digest) result.Add(new KeyDifference(key, digest, theirs));
        }
        foreach (var (key, digest) in remoteByKey)
        {
            if (!seen.Contains(key)) result.Add(new KeyDifference(key, null, digest));
        }
        result.Sort((a, b) => a.Key.CompareTo(b.Key));
        return result.ToImmutable();
    }
}
