using System.Collections.Immutable;

namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// The binary formats of clocks and sibling sets. Each starts with a format byte; formats are only
/// ever appended. The client sees the context as opaque base64 (<see cref="EncodeContext"/>).
/// <code>
/// context v1     := 0x01 clock
/// siblingset v1  := 0x01 clock varuint(n) sibling*n     (no sibling has a content type)
/// siblingset v2  := 0x02 clock varuint(n) sibling2*n    (at least one sibling has a content type)
/// clock          := varuint(n) (string node, varuint counter, varint timestampMs)*n   (nodes strictly ascending)
/// sibling        := string node, varuint counter, byte flags(bit0 tombstone), varint timestampMs, bytes value
/// sibling2       := string node, varuint counter, byte flags(bit0 tombstone, bit1 typed), varint timestampMs, bytes value,
///                   (string contentType, when typed)
/// </code>
/// Every counter is 1..<see cref="VectorClock.MaxCounter"/>; a decoder refuses any other with a message naming the
/// entry or dot. Every count is checked against the bytes left before anything is allocated for it. A content type is
/// one <see cref="ContentTypes.Check"/> accepts, never on a delete marker.
/// <para>
/// A sibling set is written as v1 whenever no sibling has a content type, v2 only when one does. So the format is a
/// function of the set (equal sets still encode to equal bytes, which anti-entropy, hints and the store's
/// <c>RemoveAsync(expected)</c> rely on); every set stored before content types existed, and every set written since
/// without one, is byte for byte what it was (the same stored bytes, sizes and CRCs); and a silo of the build before v2
/// reads every set that has no content type, so a rolling upgrade is safe until a client first stores a type. A v2
/// set without any content type is refused, as its one encoding is v1: decoding then re-encoding stays the identity.
/// </para>
/// </summary>
public static class VersionCodec
{
    public const byte ContextFormatV1 = 1;
    public const byte SiblingSetFormatV1 = 1;

    /// <summary>Sibling sets with content types (issue 19); see the class summary for when each is written.</summary>
    public const byte SiblingSetFormatV2 = 2;

    private const byte TombstoneFlag = 1;
    private const byte ContentTypeFlag = 2;

    private const int MaxNodeNameBytes = VectorClock.MaxNodeNameBytes;
    private const int MaxClockEntries = 4096;
    private const int MaxSiblings = 65536;
    private const int MaxValueBytes = 64 * 1024 * 1024;

    /// <summary>The fewest bytes a clock entry takes: a one-byte name length, a counter and a timestamp.</summary>
    private const int MinEntryBytes = 3;

    /// <summary>The fewest bytes a sibling takes: name length, counter, flags, timestamp and value length.</summary>
    private const int MinSiblingBytes = 5;

    public static byte[] EncodeContextBytes(VectorClock clock)
    {
        var bytes = new byte[1 + ClockLength(clock)];
        var w = new SpanFormatWriter(bytes);
        w.Byte(ContextFormatV1);
        WriteClock(ref w, clock);
        return bytes;
    }

    public static string EncodeContext(VectorClock clock) => Convert.ToBase64String(EncodeContextBytes(clock));

    /// <summary>Decodes a client context; null or empty means "no context" (a blind write).</summary>
    public static VectorClock DecodeContext(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return VectorClock.Empty;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new VersionFormatException("context is not valid base64");
        }
        return DecodeContextBytes(bytes);
    }

    public static VectorClock DecodeContextBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return VectorClock.Empty;
        var r = new FormatReader(bytes, "context");
        byte format = r.Byte();
        if (format != ContextFormatV1) throw r.Fail($"has unknown format {format}");
        var clock = ReadClock(ref r);
        r.End();
        return clock;
    }

    /// <summary>The number of bytes <paramref name="set"/> encodes to, found without encoding it.</summary>
    public static int EncodedLength(SiblingSet set)
    {
        long n = 1 + ClockLength(set.Context) + FormatLength.VarUInt((ulong)set.Siblings.Length);
        foreach (var s in set.Siblings)
        {
            n += FormatLength.String(s.Dot.Node) + FormatLength.VarUInt((ulong)s.Dot.Counter) + 1 + FormatLength.VarInt(s.TimestampMs) + FormatLength.Bytes(s.Value.Length);
            if (s.ContentType is { } type) n += FormatLength.String(type);
        }
        return n <= Array.MaxLength ? (int)n : throw new ArgumentException($"the sibling set encodes to {n} bytes, more than an array holds", nameof(set));
    }

    /// <summary>The set's encoding, in an array of exactly its length.</summary>
    public static byte[] EncodeSiblingSet(SiblingSet set)
    {
        var bytes = new byte[EncodedLength(set)];
        EncodeSiblingSet(set, bytes);
        return bytes;
    }

    /// <summary>
    /// Writes the set's encoding (the bytes <see cref="EncodeSiblingSet(SiblingSet)"/> returns) into
    /// <paramref name="destination"/>, which must be exactly <see cref="EncodedLength"/> bytes long. For callers that
    /// encode into a record or message buffer of their own, sized by <see cref="EncodedLength"/> already: the length is
    /// not computed again here; the bytes written are checked against the destination's length, and only a destination
    /// of the wrong size costs a second computation, for the message.
    /// </summary>
    public static void EncodeSiblingSet(SiblingSet set, Span<byte> destination)
    {
        int written;
        try
        {
            written = Write(set, destination);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException)
        {
            throw new ArgumentException($"the sibling set encodes to {EncodedLength(set)} bytes and the destination holds {destination.Length}", nameof(destination), e);
        }
        if (written != destination.Length)
            throw new ArgumentException($"the sibling set encodes to {written} bytes and the destination holds {destination.Length}", nameof(destination));
    }

    private static int Write(SiblingSet set, Span<byte> destination)
    {
        bool typed = false;
        foreach (var s in set.Siblings) typed |= s.ContentType is not null;
        var w = new SpanFormatWriter(destination);
        w.Byte(typed ? SiblingSetFormatV2 : SiblingSetFormatV1);
        WriteClock(ref w, set.Context);
        w.VarUInt((ulong)set.Siblings.Length);
        foreach (var s in set.Siblings)
        {
            w.String(s.Dot.Node);
            w.VarUInt((ulong)s.Dot.Counter);
            w.Byte((byte)((s.Tombstone ? TombstoneFlag : 0) | (s.ContentType is null ? 0 : ContentTypeFlag)));
            w.VarInt(s.TimestampMs);
            w.Bytes(s.Value);
            if (s.ContentType is { } type) w.String(type);
        }
        return w.Length;
    }

    public static SiblingSet DecodeSiblingSet(ReadOnlySpan<byte> bytes)
    {
        var r = new FormatReader(bytes, "sibling set");
        byte format = r.Byte();
        if (format is not (SiblingSetFormatV1 or SiblingSetFormatV2)) throw r.Fail($"has unknown format {format}");
        int knownFlags = format == SiblingSetFormatV1 ? TombstoneFlag : TombstoneFlag | ContentTypeFlag;
        bool anyType = false;
        var clock = ReadClock(ref r);
        int n = r.Count(MaxSiblings, MinSiblingBytes, "siblings");
        var siblings = new Sibling[n];
        for (int i = 0; i < n; i++)
        {
            string node = r.String(MaxNodeNameBytes);
            long counter = ReadCounter(ref r, "dot", node);
            if (i > 0)
            {
                var previous = siblings[i - 1].Dot;
                int c = string.CompareOrdinal(previous.Node, node);
                if (c > 0 || (c == 0 && previous.Counter > counter)) throw r.Fail("has siblings out of order");
            }
            byte flags = r.Byte();
            if ((flags & ~knownFlags) != 0) throw r.Fail("has unknown sibling flags");
            long ts = r.VarInt();
            byte[] value = r.Bytes(MaxValueBytes);
            bool tombstone = (flags & TombstoneFlag) != 0;
            string? type = null;
            if ((flags & ContentTypeFlag) != 0)
            {
                type = r.String(ContentTypes.MaxBytes);
                if (SiblingSet.CheckContentType(type, tombstone) is { } bad) throw r.Fail($"has sibling '{node}' {counter} with a bad content type: {bad}");
                anyType = true;
            }
            siblings[i] = new Sibling(new Dot(node, counter), value, tombstone, ts, type);
        }
        r.End();
        if (format == SiblingSetFormatV2 && !anyType) throw r.Fail("is format 2 but no sibling has a content type (such a set is written as format 1)");
        try
        {
            return SiblingSet.Create(clock, siblings);
        }
        catch (ArgumentException e)
        {
            throw new VersionFormatException("sibling set is inconsistent: " + e.Message);
        }
    }

    private static int ClockLength(VectorClock clock)
    {
        int n = FormatLength.VarUInt((ulong)clock.Count);
        foreach (var e in clock.Entries) n += FormatLength.String(e.Node) + FormatLength.VarUInt((ulong)e.Counter) + FormatLength.VarInt(e.TimestampMs);
        return n;
    }

    private static void WriteClock(ref SpanFormatWriter w, VectorClock clock)
    {
        w.VarUInt((ulong)clock.Count);
        foreach (var e in clock.Entries)
        {
            w.String(e.Node);
            w.VarUInt((ulong)e.Counter);
            w.VarInt(e.TimestampMs);
        }
    }

    private static VectorClock ReadClock(ref FormatReader r)
    {
        int n = r.Count(MaxClockEntries, MinEntryBytes, "clock entries");
        var entries = ImmutableArray.CreateBuilder<ClockEntry>(n);
        string? previous = null;
        for (int i = 0; i < n; i++)
        {
            string node = r.String(MaxNodeNameBytes);
            if (node.Length == 0) throw r.Fail("has an empty node name");
            if (previous is not null && string.CompareOrdinal(previous, node) >= 0) throw r.Fail("has clock entries out of order");
            long counter = ReadCounter(ref r, "entry", node);
            long ts = r.VarInt();
            entries.Add(new ClockEntry(node, counter, ts));
            previous = node;
        }
        return VectorClock.FromSorted(entries.MoveToImmutable());
    }

    /// <summary>A counter of 1..<see cref="VectorClock.MaxCounter"/>; any other is refused naming the <paramref name="field"/> and node.</summary>
    private static long ReadCounter(ref FormatReader r, string field, string node)
    {
        ulong counter = r.VarUInt();
        if (counter == 0) throw r.Fail($"{field} '{node}' has counter 0 (counters start at 1)");
        if (counter > VectorClock.MaxCounter) throw r.Fail($"{field} '{node}' has counter {counter}, above the maximum {VectorClock.MaxCounter}");
        return (long)counter;
    }
}
