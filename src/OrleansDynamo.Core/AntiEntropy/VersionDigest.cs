using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// A 64-bit fingerprint of a key's <see cref="SiblingSet"/>, the per-key input to the Merkle tree.
/// Equal sets (by <see cref="SiblingSet.Equals(SiblingSet?)"/>) have equal digests: the context is
/// hashed by node and counter only (its entries' timestamps are ignored, as equality ignores them),
/// siblings by dot, flags, timestamp, value and content type. Stable across processes and platforms. A sibling
/// without a content type hashes as it did before content types existed (flags 0 or 1, nothing after the value), so
/// replicas on either side of the upgrade agree on every key that has none; a typed one sets flag 2 and hashes its type.
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
            h.Add((byte)((s.Tombstone ? 1 : 0) | (s.ContentType is null ? 0 : 2)));
            h.Add(s.TimestampMs);
            h.Add(s.Value);
            if (s.ContentType is { } type) h.Add(type);
        }
        return h.Value;
    }
}
