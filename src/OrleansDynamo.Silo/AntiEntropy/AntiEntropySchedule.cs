using System.Collections.Immutable;
using System.Text;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>When one tree's next exchange is due, and which of its peers comes next (round-robin).</summary>
public readonly record struct ExchangeReminder(long NextDueMs, int NextPeer);

/// <summary>
/// The reminders that drive anti-entropy: per tree (partition, N) the next time its exchange is due.
/// Kept in the silo's metadata store under <see cref="MetadataKey"/>, so a restarted silo resumes
/// the schedule instead of exchanging everything at once. An immutable value; <see cref="Encode"/>
/// writes format version 1: <c>u8 version, i32 count, (i32 partition, i32 n, i64 nextDueMs, i32 nextPeer) * count</c>.
/// </summary>
public sealed record AntiEntropySchedule(ImmutableSortedDictionary<TreeId, ExchangeReminder> Trees)
{
    public const string MetadataKey = "antientropy.schedule";

    private const byte FormatVersion = 1;

    public static readonly AntiEntropySchedule Empty = new(ImmutableSortedDictionary<TreeId, ExchangeReminder>.Empty);

    public AntiEntropySchedule With(TreeId id, ExchangeReminder reminder) => new(Trees.SetItem(id, reminder));

    /// <summary>Forgets trees this silo no longer holds.</summary>
    public AntiEntropySchedule Retain(IReadOnlySet<TreeId> held)
    {
        var stale = Trees.Keys.Where(id => !held.Contains(id)).ToList();
        return stale.Count == 0 ? this : new(Trees.RemoveRange(stale));
    }

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatVersion);
            w.Write(Trees.Count);
            foreach (var (id, r) in Trees)
            {
                w.Write(id.Partition);
                w.Write(id.N);
                w.Write(r.NextDueMs);
                w.Write(r.NextPeer);
            }
        }
        return buffer.ToArray();
    }

    /// <exception cref="FormatException">The bytes are not a schedule this version can read.</exception>
    public static AntiEntropySchedule Decode(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            byte version = r.ReadByte();
            if (version != FormatVersion) throw new FormatException($"anti-entropy schedule has unknown format {version}");
            int count = r.ReadInt32();
            if (count < 0 || count > bytes.Length) throw new FormatException($"anti-entropy schedule claims {count} entries");
            var trees = ImmutableSortedDictionary.CreateBuilder<TreeId, ExchangeReminder>();
            for (int i = 0; i < count; i++)
            {
                var id = new TreeId(r.ReadInt32(), r.ReadInt32());
                trees[id] = new ExchangeReminder(r.ReadInt64(), r.ReadInt32());
            }
            if (r.BaseStream.Position != bytes.Length) throw new FormatException("anti-entropy schedule has trailing bytes");
            return new AntiEntropySchedule(trees.ToImmutable());
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("anti-entropy schedule ends early", e);
        }
    }
}
