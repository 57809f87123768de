using System.Collections.Immutable;
using Google.Protobuf;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.Transport.Grpc;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>
/// The anti-entropy messages on the wire (antientropy.proto) and their sizes. Generated types stay
/// here. Sizes are the serialized protobuf bytes, counted for every exchange whatever the transport.
/// </summary>
public static class AntiEntropyWire
{
    public static void Register(SiloWireMethods methods)
    {
        methods.Add(new SiloWireMethod<MerkleHashesQuery, MerkleHashesAnswer, MerkleHashesRequest, MerkleHashesResponse>(
            "AntiEntropyMerkleHashes", Encode, Decode, Encode, Decode));
        methods.Add(new SiloWireMethod<SegmentKeysQuery, SegmentKeysAnswer, SegmentKeysRequest, SegmentKeysResponse>(
            "AntiEntropySegmentKeys", Encode, Decode, Encode, Decode));
        methods.Add(new SiloWireMethod<RepairKeys, RepairKeysResult, RepairKeysRequest, RepairKeysResponse>(
            "AntiEntropyRepairKeys", Encode, Decode, Encode, Decode));
        methods.Add(new SiloWireMethod<TombstoneGc, TombstoneGcResult, TombstoneGcRequest, TombstoneGcResponse>(
            "AntiEntropyTombstoneGc", Encode, Decode, Encode, Decode));
    }

    /// <summary>Serialized size of an anti-entropy request or response.</summary>
    public static long SizeOf(object message) => message switch
    {
        MerkleHashesQuery m => Encode(m).CalculateSize(),
        MerkleHashesAnswer m => Encode(m).CalculateSize(),
        SegmentKeysQuery m => Encode(m).CalculateSize(),
        SegmentKeysAnswer m => Encode(m).CalculateSize(),
        RepairKeys m => Encode(m).CalculateSize(),
        RepairKeysResult m => Encode(m).CalculateSize(),
        TombstoneGc m => Encode(m).CalculateSize(),
        TombstoneGcResult m => Encode(m).CalculateSize(),
        _ => throw new ArgumentException($"{message.GetType().Name} is not an anti-entropy message", nameof(message)),
    };

    public static MerkleHashesRequest Encode(MerkleHashesQuery q)
    {
        var p = new MerkleHashesRequest { Tree = Encode(q.Tree), Level = (uint)q.Level, FromSilo = q.FromSilo };
        foreach (int parent in q.Parents) p.Parents.Add((uint)parent);
        return p;
    }

    public static MerkleHashesQuery Decode(MerkleHashesRequest p) =>
        new(Decode(p.Tree), (int)p.Level, p.Parents.Select(x => checked((int)x)).ToImmutableArray(), p.FromSilo);

    public static MerkleHashesResponse Encode(MerkleHashesAnswer a)
    {
        var p = new MerkleHashesResponse { Ready = a.Ready, Busy = a.Busy };
        p.Hashes.Add(a.Hashes);
        return p;
    }

    public static MerkleHashesAnswer Decode(MerkleHashesResponse p) => new(p.Ready, p.Hashes.ToArray(), p.Busy);

    public static SegmentKeysRequest Encode(SegmentKeysQuery q)
    {
        var p = new SegmentKeysRequest { Tree = Encode(q.Tree), FromSilo = q.FromSilo };
        foreach (int s in q.Segments) p.Segments.Add((uint)s);
        return p;
    }

    public static SegmentKeysQuery Decode(SegmentKeysRequest p) =>
        new(Decode(p.Tree), p.Segments.Select(x => checked((int)x)).ToImmutableArray(), p.FromSilo);

    public static SegmentKeysResponse Encode(SegmentKeysAnswer a)
    {
        var p = new SegmentKeysResponse { Ready = a.Ready, KeyHashes = Hashes(a.Keys.Select(k => k.Key), a.Keys.Count) };
        foreach (var (_, digest) in a.Keys) p.Digests.Add(digest);
        return p;
    }

    public static SegmentKeysAnswer Decode(SegmentKeysResponse p) => new(p.Ready, Pairs(p.KeyHashes, p.Digests));

    public static RepairKeysRequest Encode(RepairKeys r)
    {
        var p = new RepairKeysRequest { Tree = Encode(r.Tree), FetchHashes = Hashes(r.Fetch, r.Fetch.Count), FromSilo = r.FromSilo };
        foreach (var e in r.Push) p.Push.Add(Encode(e));
        return p;
    }

    public static RepairKeys Decode(RepairKeysRequest p) =>
        new(Decode(p.Tree), p.Push.Select(Decode).ToList(), Hashes(p.FetchHashes), p.FromSilo);

    public static RepairKeysResponse Encode(RepairKeysResult r)
    {
        var p = new RepairKeysResponse { Merged = (uint)r.Merged };
        foreach (var e in r.Entries) p.Entries.Add(Encode(e));
        return p;
    }

    public static RepairKeysResult Decode(RepairKeysResponse p) => new(p.Entries.Select(Decode).ToList(), (int)p.Merged);

    public static TombstoneGcRequest Encode(TombstoneGc g)
    {
        var p = new TombstoneGcRequest { Tree = Encode(g.Tree), KeyHashes = Hashes(g.Keys.Select(k => k.Key), g.Keys.Count), Remove = g.Remove, FromSilo = g.FromSilo };
        foreach (var (_, digest) in g.Keys) p.Digests.Add(digest);
        p.Primaries.Add(g.Primaries);
        return p;
    }

    public static TombstoneGc Decode(TombstoneGcRequest p) =>
        new(Decode(p.Tree), Pairs(p.KeyHashes, p.Digests), p.Remove, p.Primaries.ToImmutableArray(), p.FromSilo);

    public static TombstoneGcResponse Encode(TombstoneGcResult r)
    {
        var p = new TombstoneGcResponse();
        foreach (int i in r.Matched) p.Matched.Add((uint)i);
        return p;
    }

    public static TombstoneGcResult Decode(TombstoneGcResponse p) => new(p.Matched.Select(x => checked((int)x)).ToImmutableArray());

    private static MerkleTreeRef Encode(TreeRef t) =>
        new() { Partition = (uint)t.Id.Partition, N = (uint)t.Id.N, FanOut = (uint)t.FanOut, Depth = (uint)t.Depth };

    private static TreeRef Decode(MerkleTreeRef? p) =>
        p is null ? throw DynamoException.Invalid("an anti-entropy request names no tree")
            : new TreeRef(new TreeId(checked((int)p.Partition), checked((int)p.N)), checked((int)p.FanOut), checked((int)p.Depth));

    private static RepairEntry Encode(KeySet e) => new() { Bucket = e.Key.Bucket, Key = e.Key.Key, SiblingSet = SiloWireMethods.Set(e.Siblings) };

    private static KeySet Decode(RepairEntry p) => new(new DynamoKey(p.Bucket, p.Key), SiloWireMethods.Set(p.SiblingSet));

    private static ByteString Hashes(IEnumerable<KeyHash> keys, int count)
    {
        var bytes = new byte[count * 16];
        int i = 0;
        foreach (var k in keys) k.WriteBytes(bytes.AsSpan(16 * i++, 16));
        return UnsafeByteOperations.UnsafeWrap(bytes);
    }

    private static List<KeyHash> Hashes(ByteString bytes)
    {
        if (bytes.Length % 16 != 0) throw DynamoException.Invalid($"key hashes must be 16 bytes each; got {bytes.Length} bytes");
        var keys = new List<KeyHash>(bytes.Length / 16);
        for (int i = 0; i < bytes.Length; i += 16) keys.Add(KeyHash.FromBytes(bytes.Span.Slice(i, 16)));
        return keys;
    }

    private static List<(KeyHash, ulong)> Pairs(ByteString hashes, IList<ulong> digests)
    {
        var keys = Hashes(hashes);
        if (keys.Count != digests.Count) throw DynamoException.Invalid($"{keys.Count} key hashes but {digests.Count} digests");
        var pairs = new List<(KeyHash, ulong)>(keys.Count);
        for (int i = 0; i < keys.Count; i++) pairs.Add((keys[i], digests[i]));
        return pairs;
    }
}
