using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// A 64-bit fingerprint of a key's <see cref="SiblingSet"/>, the per-key input to the Merkle tree.
/// Equal sets (by <see cref="SiblingSet.Equals(SiblingSet?)"/>) have equal digests: the context is
/// hashed by node and counter only (its entries' timestamps are ignored, as equality ignores them),
/// siblings by dot, tombstone flag, timestamp and value. Stable across processes and platforms.
/// </summary>
public static class VersionDigest
{
    /// <summary>Format tag hashed first, so a future digest scheme cannot collide with this one.</summary>
    private const byte SchemeV1 = 1;

    public static ulong Of(SiblingSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var h = new Fnv1a64();
        h.Add(SchemeV1);
        h.Add((ulong)set.Context.Count);
        foreach (var e in set.Context.Entries)
        {
            h.Add(e.Node);
            h.Add(e.Counter);
        }
        h.Add((ulong)set.Siblings.Length);
        foreach (var s in set.Siblings)
        {
            h.Add(s.Dot.Node);
            h.Add(s.Dot.Counter);
            h.Add(s.Tombstone ? (byte)1 : (byte)0);
            h.Add(s.TimestampMs);
            h.Add(s.Value);
        }
        return h.Value;
    }
}
