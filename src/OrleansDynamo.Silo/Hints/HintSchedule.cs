using System.Collections.Immutable;
using System.Text;

namespace OrleansDynamo.Silo.Hints;

/// <summary>When delivery to one target is due next, and how many attempts in a row failed.</summary>
public readonly record struct HintScheduleEntry(long NextDueMs, int Failures);

/// <summary>
/// The reminder that drives hinted handoff: per target silo, the next time delivery is due. Kept in
/// the silo's metadata store (key <see cref="MetadataKey"/>) so a restarted stand-in resumes where it
/// stopped, backoff included. An immutable value; <see cref="Encode"/> writes format version 1.
/// </summary>
public sealed record HintSchedule(ImmutableSortedDictionary<string, HintScheduleEntry> Targets)
{
    public const string MetadataKey = "hints.schedule";

    private const byte FormatVersion = 1;

    public static readonly HintSchedule Empty = new(ImmutableSortedDictionary.Create<string, HintScheduleEntry>(StringComparer.Ordinal));

    /// <summary>Whether delivery to <paramref name="target"/> may run at <paramref name="nowMs"/> (unknown targets are due).</summary>
    /// <summary>
    /// Due when its time has come, or when its time lies further ahead than any backoff could have put
    /// it (<paramref name="maxAheadMs"/>): the wall clock was stepped back, and waiting out the step would
    /// stall delivery (found by the simulation with a −102 s step).
    /// </summary>
    public bool IsDue(string target, long nowMs, long maxAheadMs) =>
        !Targets.TryGetValue(target, out var e) || e.NextDueMs <= nowMs || e.NextDueMs - nowMs > maxAheadMs;

    public HintScheduleEntry EntryOf(string target) => Targets.GetValueOrDefault(target);

    /// <summary>Delivery drained the target's hints: it is due at once when new hints appear.</summary>
    public HintSchedule Succeeded(string target) => Targets.ContainsKey(target) ? new(Targets.Remove(target)) : this;

    /// <summary>
    /// Delivery failed: the next attempt waits <paramref name="initialBackoffMs"/> doubled per failure in a row,
    /// capped at <paramref name="maxBackoffMs"/>, plus up to a quarter of it as jitter (<paramref name="jitter01"/> in [0,1)).
    /// </summary>
    public HintSchedule Failed(string target, long nowMs, int initialBackoffMs, int maxBackoffMs, double jitter01)
    {
        int failures = EntryOf(target).Failures + 1;
        double backoff = Math.Min(maxBackoffMs, initialBackoffMs * Math.Pow(2, Math.Min(failures - 1, 30)));
        long wait = (long)(backoff * (1 + 0.25 * jitter01));
        return new(Targets.SetItem(target, new HintScheduleEntry(nowMs + wait, failures)));
    }

    /// <summary>Forgets targets that have no hints waiting any more.</summary>
    public HintSchedule Retain(IEnumerable<string> targetsWithHints)
    {
        var keep = targetsWithHints.ToHashSet(StringComparer.Ordinal);
        var stale = Targets.Keys.Where(t => !keep.Contains(t)).ToList();
        return stale.Count == 0 ? this : new(Targets.RemoveRange(stale));
    }

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatVersion);
            w.Write(Targets.Count);
            foreach (var (target, entry) in Targets)
            {
                w.Write(target);
                w.Write(entry.NextDueMs);
                w.Write(entry.Failures);
            }
        }
        return buffer.ToArray();
    }

    /// <exception cref="FormatException">the bytes are not a hint schedule of a known version.</exception>
    public static HintSchedule Decode(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
            byte version = r.ReadByte();
            if (version != FormatVersion) throw new FormatException($"hint schedule format version {version} is unknown (expected {FormatVersion})");
            int count = r.ReadInt32();
            if (count < 0) throw new FormatException($"hint schedule lists {count} targets");
            var builder = ImmutableSortedDictionary.CreateBuilder<string, HintScheduleEntry>(StringComparer.Ordinal);
            for (int i = 0; i < count; i++)
            {
                string target = r.ReadString();
                builder[target] = new HintScheduleEntry(r.ReadInt64(), r.ReadInt32());
            }
            return new HintSchedule(builder.ToImmutable());
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("hint schedule is truncated", e);
        }
    }
}
