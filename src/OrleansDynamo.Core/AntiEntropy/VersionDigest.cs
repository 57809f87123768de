using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// A 64-bit fingerprint of a key's <see cref="SiblingSet"/>, the per-key input to the Merkle tree.
/// Equal sets (by <see cref="SiblingSet.Equals(SiblingSet?)"/>) have equal digests: the context is
/// hashed by node and counter only (its entries' timestamps are ignored, as equality ignores them),
/// siblings by dot, flags, timestamp, value length and content type. Stable across processes and platforms.
/// <para>
/// Scheme 2 does not read a key-value sibling's bytes. A dot names one write, so two replicas holding the same dot
/// hold the same value; <see cref="SiblingSet.Merge"/> takes that as given and keeps either side's copy. A digest over
/// the bytes could only report a difference the merge cannot repair, and cost a pass over every value on every write
/// (scheme 1 ran FNV-1a over the whole value: 3 % of a silo's CPU under a write load). A value damaged at rest is
/// caught by the stores' checksums instead, and read as absent. The value's length is still hashed.
/// The one sibling whose dot names no write is a typed bucket's state (<see cref="TypedValue"/>: a fixed dot, the
/// causality inside the state), so its bytes are hashed: replicas whose states differ must differ here, and their
/// merge joins the states.
/// </para>
/// <para>
/// Silos compare digests only with silos of the same <see cref="Scheme"/>: trees on the wire and saved at a stop
/// carry it, so a silo of an older build is skipped by anti-entropy rather than found to differ on every key.
/// </para>
/// </summary>
public static class VersionDigest
{
    /// <summary>The digest scheme this build computes, hashed first so no other scheme's digest can collide with it.</summary>
    public const int Scheme = 2;

    public static ulong Of(SiblingSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var h = new Fnv1a64();
        h.Add((byte)Scheme);
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
            h.Add((ulong)s.Value.Length);
            if (s.Dot.Node == TypedValue.WrapperActor) h.Add(s.Value);
            if (s.ContentType is { } type) h.Add(type);
        }
        return h.Value;
    }
}
