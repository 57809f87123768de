using System.Text;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>
/// The payload bytes of an anti-entropy message, for the exchange's traffic counter: hashes at 8 bytes, key
/// hashes at 16, sibling sets in the core's binary format, names in UTF-8, counts and levels at 4 bytes.
/// Orleans' own framing is not counted.
/// </summary>
public static class AntiEntropyPayload
{
    public static long SizeOf(object message) => message switch
    {
        MerkleHashesQuery m => Tree + 4 + 4L * m.Parents.Length + Name(m.FromSilo),
        MerkleHashesAnswer m => 2 + 8L * m.Hashes.Length,
        SegmentKeysQuery m => Tree + 4L * m.Segments.Length + Name(m.FromSilo),
        SegmentKeysAnswer m => 1 + 24L * m.Keys.Count,
        RepairKeys m => Tree + m.Push.Sum(Size) + 16L * m.Fetch.Count + Name(m.FromSilo),
        RepairKeysResult m => 4 + m.Entries.Sum(Size),
        TombstoneGc m => Tree + 1 + 24L * m.Keys.Count + m.Primaries.Sum(Name) + Name(m.FromSilo),
        TombstoneGcResult m => 4L * m.Matched.Length,
        _ => throw new ArgumentException($"{message.GetType().Name} is not an anti-entropy message", nameof(message)),
    };

    private const long Tree = 16;

    private static long Name(string s) => Encoding.UTF8.GetByteCount(s);

    private static long Size(KeySet set) => Name(set.Key.Bucket) + Name(set.Key.Key) + VersionCodec.EncodedLength(set.Siblings);
}
