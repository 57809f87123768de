using System.Text;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>One ready tree in a <see cref="TreeSnapshot"/>: its id, when it was built, and its index.</summary>
internal sealed record TreeSnapshotEntry(TreeId Id, long BuiltAtMs, IReadOnlyList<KeyValuePair<KeyHash, ulong>> Digests,
    IReadOnlyList<KeyValuePair<KeyHash, long>> Tombstones);

/// <summary>
/// The Merkle trees a silo had built, saved at a graceful stop so the next start need not scan the store again (a
/// scan of every key, which at a million keys per silo takes minutes of the cores the foreground needs). Kept in the
/// metadata store under <see cref="MetadataKey"/>, in the same database as the keys, and deleted when read: a silo
/// that starts uses it at most once, before it listens, so no write can land between the stop that saved it and the
/// start that reads it (a crash after that start leaves no snapshot, and the trees are built from the store).
/// It holds each key's version digest, not the tree's hashes, so the trees are made in whatever shape the silo uses
/// now; the membership it is read under is the one it was saved under (stored, and unchanged while the silo is down).
/// The format version follows the <see cref="Core.AntiEntropy.VersionDigest.Scheme"/> the digests were computed by
/// (version 1 held scheme 1's, version 2 scheme 2's, in the same layout), so a snapshot saved by an older release is
/// refused and the trees are built from the store.
/// <code>
/// v2 := u8 2, i32 trees,
///       (i32 partition, i32 n, i64 builtAtMs, i32 keys, i32 tombstones,
///        (u8[16] keyHash, u64 digest) * keys, (u8[16] keyHash, i64 newestMs) * tombstones) * trees
/// </code>
/// </summary>
internal sealed record TreeSnapshot(IReadOnlyList<TreeSnapshotEntry> Trees)
{
    public const string MetadataKey = "antientropy.trees";

    private const byte FormatVersion = Core.AntiEntropy.VersionDigest.Scheme;

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            Span<byte> hash = stackalloc byte[16];
            w.Write(FormatVersion);
            w.Write(Trees.Count);
            foreach (var tree in Trees)
            {
                w.Write(tree.Id.Partition);
                w.Write(tree.Id.N);
                w.Write(tree.BuiltAtMs);
                w.Write(tree.Digests.Count);
                w.Write(tree.Tombstones.Count);
                foreach (var (key, digest) in tree.Digests)
                {
                    key.WriteBytes(hash);
                    w.Write(hash);
                    w.Write(digest);
                }
                foreach (var (key, newest) in tree.Tombstones)
                {
                    key.WriteBytes(hash);
                    w.Write(hash);
                    w.Write(newest);
                }
            }
        }
        return buffer.ToArray();
    }

    /// <exception cref="FormatException">The bytes are not a snapshot this version can read, or contradict themselves.</exception>
    public static TreeSnapshot Decode(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            byte version = r.ReadByte();
            if (version != FormatVersion)
                throw new FormatException(version < FormatVersion
                    ? $"tree snapshot has format {version}, saved by an older release whose version digests differ (this release reads format {FormatVersion})"
                    : $"tree snapshot has unknown format {version} (this release reads format {FormatVersion})");
            int count = Count(r, bytes, "trees");
            var trees = new List<TreeSnapshotEntry>(count);
            var seen = new HashSet<TreeId>();
            for (int t = 0; t < count; t++)
            {
                var id = new TreeId(r.ReadInt32(), r.ReadInt32());
                if (id.Partition < 0 || id.N < 1 || !seen.Add(id)) throw new FormatException($"tree snapshot has an invalid or repeated tree {id}");
                long builtAtMs = r.ReadInt64();
                int keys = Count(r, bytes, "keys");
                int tombstones = Count(r, bytes, "tombstones");
                var digests = new List<KeyValuePair<KeyHash, ulong>>(keys);
                var present = new HashSet<KeyHash>(keys);
                for (int i = 0; i < keys; i++)
                {
                    var key = KeyHash.FromBytes(r.ReadBytes(16));
                    if (!present.Add(key)) throw new FormatException($"tree snapshot lists key {key} of tree {id} twice");
                    digests.Add(new(key, r.ReadUInt64()));
                }
                var newest = new List<KeyValuePair<KeyHash, long>>(tombstones);
                for (int i = 0; i < tombstones; i++)
                {
                    var key = KeyHash.FromBytes(r.ReadBytes(16));
                    if (!present.Contains(key)) throw new FormatException($"tree snapshot lists tombstone {key} of tree {id} without its digest");
                    newest.Add(new(key, r.ReadInt64()));
                }
                trees.Add(new TreeSnapshotEntry(id, builtAtMs, digests, newest));
            }
            if (r.BaseStream.Position != bytes.Length) throw new FormatException("tree snapshot has trailing bytes");
            return new TreeSnapshot(trees);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException)
        {
            throw new FormatException("tree snapshot ends early", e);
        }
    }

    private static int Count(BinaryReader r, byte[] bytes, string what)
    {
        int count = r.ReadInt32();
        if (count < 0 || count > bytes.Length) throw new FormatException($"tree snapshot claims {count} {what}");
        return count;
    }
}
