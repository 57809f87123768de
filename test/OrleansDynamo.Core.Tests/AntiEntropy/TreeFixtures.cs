using System.Collections.Immutable;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.Tests.AntiEntropy;

/// <summary>Random replicas and a driver that runs a whole exchange between two trees.</summary>
internal static class TreeFixtures
{
    /// <summary>A random key in one partition: the top byte is fixed, as on a real partition replica.</summary>
    public static KeyHash RandomKey(Random rng, byte partitionByte = 0x5A)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        bytes[0] = partitionByte;
        return KeyHash.FromBytes(bytes);
    }

    public static ulong RandomDigest(Random rng) => (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 33);

    public static Dictionary<KeyHash, ulong> RandomReplica(Random rng, int keys)
    {
        var result = new Dictionary<KeyHash, ulong>(keys);
        while (result.Count < keys) result[RandomKey(rng)] = RandomDigest(rng);
        return result;
    }

    /// <summary>A copy of <paramref name="source"/> with exactly <paramref name="differences"/> keys removed, added or changed; returns the keys touched.</summary>
    public static (Dictionary<KeyHash, ulong> Other, HashSet<KeyHash> Touched) Diverge(Random rng, Dictionary<KeyHash, ulong> source, int differences)
    {
        var other = new Dictionary<KeyHash, ulong>(source);
        var touched = new HashSet<KeyHash>();
        var keys = source.Keys.ToArray();
        while (touched.Count < differences)
        {
            int kind = keys.Length == 0 ? 0 : rng.Next(3);
            if (kind == 0)
            {
                var k = RandomKey(rng);
                if (source.ContainsKey(k) || !touched.Add(k)) continue;
                other[k] = RandomDigest(rng);
            }
            else
            {
                var k = keys[rng.Next(keys.Length)];
                if (!touched.Add(k)) continue;
                if (kind == 1) other.Remove(k);
                else other[k] = source[k] ^ (1UL + (ulong)rng.Next());
            }
        }
        return (other, touched);
    }

    public static MerkleTree Tree(Dictionary<KeyHash, ulong> replica, MerkleShape? shape = null) =>
        MerkleTree.Build(replica.Select(kv => (kv.Key, kv.Value)), shape);

    /// <summary>Runs the exchange, the remote answering from its own tree as the silo would.</summary>
    public static MerkleExchange Exchange(MerkleTree local, MerkleTree remote)
    {
        var ex = new MerkleExchange(local);
        MerkleRequest? request = ex.Start();
        while (request is not null) request = ex.OnResponse(remote.Answer(request));
        return ex;
    }

    /// <summary>The whole anti-entropy comparison: tree exchange, then key diff in the differing segments.</summary>
    public static (ImmutableArray<KeyDifference> Differences, MerkleExchange Exchange) Sync(
        Dictionary<KeyHash, ulong> local, Dictionary<KeyHash, ulong> remote, MerkleShape? shape = null)
    {
        var localTree = Tree(local, shape);
        var remoteTree = Tree(remote, shape);
        var ex = Exchange(localTree, remoteTree);
        var segments = ex.DifferingSegments.ToHashSet();
        List<(KeyHash, ulong)> InSegments(Dictionary<KeyHash, ulong> replica, MerkleTree tree) =>
            replica.Where(kv => segments.Contains(tree.SegmentOf(kv.Key))).Select(kv => (kv.Key, kv.Value)).ToList();
        return (SegmentDiff.Compare(InSegments(local, localTree), InSegments(remote, remoteTree)), ex);
    }
}
