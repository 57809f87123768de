using System.Text;
using FsCheck;
using FsCheck.Xunit;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>
/// Round trips and strict decoding of <see cref="VersionCodec"/>: any input either decodes to a value that
/// re-encodes to exactly the same bytes or throws <see cref="VersionFormatException"/>, never anything else.
/// </summary>
[Properties(Arbitrary = [typeof(Generators)], MaxTest = Generators.MaxTest)]
public class VersionCodecTests
{
    private static SiblingSet Pick(History history, NonNegativeInt i)
    {
        var world = ReplicaWorld.Run(history);
        return world.Snapshots[i.Get % world.Snapshots.Count];
    }

    /// <summary>Decodes <paramref name="bytes"/>; on success returns the re-encoding, on a format error null.</summary>
    private static byte[]? DecodeReencode(byte[] bytes, Func<byte[], byte[]> roundTrip)
    {
        try
        {
            return roundTrip(bytes);
        }
        catch (VersionFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return null;
        }
    }

    // ---- round trips ----

    [Property]
    public void Context_bytes_round_trip(CodecClock c)
    {
        var bytes = VersionCodec.EncodeContextBytes(c.Clock);
        var decoded = VersionCodec.DecodeContextBytes(bytes);
        Assert.Equal(c.Clock, decoded);
        Assert.Equal(bytes, VersionCodec.EncodeContextBytes(decoded));
    }

    [Property]
    public void Small_context_bytes_round_trip(VectorClock clock) =>
        Assert.Equal(clock, VersionCodec.DecodeContextBytes(VersionCodec.EncodeContextBytes(clock)));

    [Property]
    public void Base64_context_round_trips(CodecClock c)
    {
        string text = VersionCodec.EncodeContext(c.Clock);
        Assert.Equal(c.Clock, VersionCodec.DecodeContext(text));
        Assert.Equal(Convert.ToBase64String(VersionCodec.EncodeContextBytes(c.Clock)), text);
    }

    [Property]
    public void Sibling_sets_round_trip(History history, NonNegativeInt i)
    {
        var set = Pick(history, i);
        var bytes = VersionCodec.EncodeSiblingSet(set);
        var decoded = VersionCodec.DecodeSiblingSet(bytes);
        Assert.Equal(set, decoded);
        Assert.Equal(set.Context, decoded.Context);
        Assert.Equal(bytes, VersionCodec.EncodeSiblingSet(decoded));
    }

    [Property]
    public void Sibling_sets_with_wide_clocks_round_trip(CodecClock c, History history, NonNegativeInt i)
    {
        var set = Pick(history, i);
        var widened = SiblingSet.Create(set.Context.Merge(c.Clock), set.Siblings);
        var decoded = VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(widened));
        Assert.Equal(widened, decoded);
        Assert.Equal(widened.Context, decoded.Context);
    }

    [Property]
    public void A_sibling_sets_length_is_known_before_it_is_encoded(CodecClock c, History history, NonNegativeInt i)
    {
        var set = Pick(history, i);
        var widened = SiblingSet.Create(set.Context.Merge(c.Clock), set.Siblings);
        Assert.Equal(VersionCodec.EncodeSiblingSet(set).Length, VersionCodec.EncodedLength(set));
        Assert.Equal(VersionCodec.EncodeSiblingSet(widened).Length, VersionCodec.EncodedLength(widened));
    }

    [Fact]
    public void A_sibling_set_encodes_in_place_to_the_same_bytes_across_every_varint_width()
    {
        // Counters, timestamps (zig-zag), value lengths and names at the edges of one, two and more varint bytes.
        long max = VectorClock.MaxCounter;
        var clock = VectorClock.From([new ClockEntry("a", 127, -1), new ClockEntry("b\u20ac", 128, 63), new ClockEntry("c", 16_383, 64),
            new ClockEntry("d", 16_384, long.MinValue), new ClockEntry(new string('e', 128), max, long.MaxValue)]);
        Sibling[] siblings =
        [
            new(new Dot("a", 127), new byte[127], false, -64),
            new(new Dot("b\u20ac", 128), new byte[128], false, -65, "text/plain"),
            new(new Dot("c", 16_383), new byte[16_383], false, 8_191),
            new(new Dot("d", 16_384), new byte[16_384], false, 8_192),
            new(new Dot(new string('e', 128), max), [], true, 0),
        ];
        for (int n = 0; n <= siblings.Length; n++)
        {
            var set = SiblingSet.Create(clock, siblings.Take(n));
            byte[] expected = VersionCodec.EncodeSiblingSet(set);
            Assert.Equal(expected.Length, VersionCodec.EncodedLength(set));
            Assert.Equal(set, VersionCodec.DecodeSiblingSet(expected));
            var buffer = Enumerable.Repeat((byte)0xEE, expected.Length + 6).ToArray();
            VersionCodec.EncodeSiblingSet(set, buffer.AsSpan(3, expected.Length));
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 3, expected.Length));
            Assert.Equal([0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE], [.. buffer[..3], .. buffer[(3 + expected.Length)..]]);
            var shorter = Assert.Throws<ArgumentException>(() => VersionCodec.EncodeSiblingSet(set, new byte[expected.Length - 1]));
            Assert.Contains($"encodes to {expected.Length} bytes and the destination holds {expected.Length - 1}", shorter.Message);
            var longer = Assert.Throws<ArgumentException>(() => VersionCodec.EncodeSiblingSet(set, new byte[expected.Length + 1]));
            Assert.Contains($"encodes to {expected.Length} bytes and the destination holds {expected.Length + 1}", longer.Message);
        }
        Assert.Equal(clock, VersionCodec.DecodeContextBytes(VersionCodec.EncodeContextBytes(clock)));
    }

    [Fact]
    public void No_context_decodes_to_the_empty_clock()
    {
        Assert.Same(VectorClock.Empty, VersionCodec.DecodeContext(null));
        Assert.Same(VectorClock.Empty, VersionCodec.DecodeContext(""));
        Assert.Same(VectorClock.Empty, VersionCodec.DecodeContextBytes([]));
        Assert.Equal(VectorClock.Empty, VersionCodec.DecodeContext(VersionCodec.EncodeContext(VectorClock.Empty)));
        Assert.Equal(SiblingSet.Empty, VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(SiblingSet.Empty)));
    }

    [Fact]
    public void Context_v1_layout_is_stable()
    {
        var clock = VectorClock.From([new("a", 1, -1), new("b", 300, 2)]);
        Assert.Equal(
            Convert.FromHexString("01" + "02" + "0161" + "01" + "01" + "0162" + "AC02" + "04"),
            VersionCodec.EncodeContextBytes(clock));
    }

    // ---- sibling set formats: v1 (no content types) and v2 ----

    /// <summary>{a:2 @5, b:1 @-1}: "hi" at a:2 (ts 5), and a delete marker at b:1 (ts -1).</summary>
    private const string TwoEntryClock = "02" + "0161" + "02" + "0A" + "0162" + "01" + "01";

    /// <summary>The set <see cref="V1SetHex"/> holds, with <paramref name="type"/> on the value.</summary>
    private static SiblingSet HiAndDeleted(string? type) => SiblingSet.Create(VectorClock.From([new("a", 2, 5), new("b", 1, -1)]),
        [new Sibling(new Dot("a", 2), "hi"u8.ToArray(), false, 5, type), new Sibling(new Dot("b", 1), [], true, -1)]);

    /// <summary>Bytes as the build before content types wrote them (format 1): they must decode for ever.</summary>
    private const string V1SetHex = "01" + TwoEntryClock + "02" + "0161" + "02" + "00" + "0A" + "026869" + "0162" + "01" + "01" + "01" + "00";

    [Fact]
    public void Sibling_sets_stored_as_v1_still_decode_and_a_set_without_content_types_is_still_written_as_v1()
    {
        var decoded = VersionCodec.DecodeSiblingSet(Convert.FromHexString(V1SetHex));
        Assert.Equal(HiAndDeleted(null), decoded);
        Assert.Equal([(new Dot("a", 2), "hi", false, 5L, (string?)null), (new Dot("b", 1), "", true, -1L, null)],
            decoded.Siblings.Select(s => (s.Dot, Encoding.UTF8.GetString(s.Value), s.Tombstone, s.TimestampMs, s.ContentType)));
        Assert.Equal(V1SetHex, Convert.ToHexString(VersionCodec.EncodeSiblingSet(decoded)));
        Assert.Equal(V1SetHex, Convert.ToHexString(VersionCodec.EncodeSiblingSet(HiAndDeleted(null))));
    }

    [Fact]
    public void A_sibling_set_with_a_content_type_is_v2_with_flag_bit_1_and_the_type_after_the_value()
    {
        const string v2 = "02" + TwoEntryClock + "02" + "0161" + "02" + "02" + "0A" + "026869" + "0A" + "746578742F706C61696E" + "0162" + "01" + "01" + "01" + "00";
        var set = HiAndDeleted("text/plain");
        Assert.Equal(v2, Convert.ToHexString(VersionCodec.EncodeSiblingSet(set)));
        var decoded = VersionCodec.DecodeSiblingSet(Convert.FromHexString(v2));
        Assert.Equal(set, decoded);
        Assert.Equal(["text/plain", null], decoded.Siblings.Select(s => s.ContentType));
        Assert.NotEqual(HiAndDeleted(null), decoded);
        Assert.NotEqual(HiAndDeleted("text/html"), decoded);
    }

    [Property]
    public void A_sibling_set_is_v2_exactly_when_a_sibling_has_a_content_type(History history, NonNegativeInt i)
    {
        var set = Pick(history, i);
        byte format = VersionCodec.EncodeSiblingSet(set)[0];
        bool typed = set.Siblings.Any(s => s.ContentType is not null);
        Assert.Equal(typed ? VersionCodec.SiblingSetFormatV2 : VersionCodec.SiblingSetFormatV1, format);
        Assert.Equal(set.Siblings.Select(s => s.ContentType), VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(set)).Siblings.Select(s => s.ContentType));
    }

    private const string OneSiblingV2 = "02" + OneEntryClock + "01" + "0161" + "01";   // then flags, timestamp, value, [type]

    [Theory]
    [InlineData("01" + OneEntryClock + "01" + "0161" + "01" + "02" + "00" + "00" + "0161", "unknown sibling flags")]   // a type flag in v1
    [InlineData(OneSiblingV2 + "00" + "00" + "00", "format 2 but no sibling has a content type")]
    [InlineData(OneSiblingV2 + "04" + "00" + "00", "unknown sibling flags")]
    [InlineData(OneSiblingV2 + "03" + "00" + "00" + "0161", "a delete marker carries no content type")]
    [InlineData(OneSiblingV2 + "02" + "00" + "00" + "00", "content type must not be empty")]
    [InlineData(OneSiblingV2 + "02" + "00" + "00" + "0474657874", "not a media type")]                           // "text"
    [InlineData(OneSiblingV2 + "02" + "00" + "00" + "03610D62", "not printable ASCII")]                          // "a\rb"
    [InlineData(OneSiblingV2 + "02" + "00" + "00" + "04612FC3A9", "not printable ASCII")]                        // "a/é"
    [InlineData(OneSiblingV2 + "02" + "00" + "00" + "8002" + "61", "past its end")]                              // 256 bytes declared
    [InlineData(OneSiblingV2 + "02" + "00" + "00" + "03612F", "past its end")]
    public void Malformed_v2_sibling_sets_name_the_problem(string hex, string why)
    {
        var e = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet(Convert.FromHexString(hex)));
        Assert.Contains(why, e.Message);
    }

    [Fact]
    public void A_content_type_of_the_longest_length_round_trips_and_one_byte_more_is_refused()
    {
        string longest = "application/" + new string('x', ContentTypes.MaxBytes - "application/".Length);
        var set = SiblingSet.Empty.Update(VectorClock.Empty, "a", [1], false, 1, longest);
        Assert.Equal(longest, Assert.Single(VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(set)).Siblings).ContentType);
        var e = Assert.Throws<ArgumentException>(() => SiblingSet.Empty.Update(VectorClock.Empty, "a", [1], false, 1, longest + "x"));
        Assert.Contains("the limit is 255", e.Message);
    }

    // ---- strict decoding ----

    [Property]
    public void Mutated_context_bytes_fail_cleanly_or_reencode_identically(VectorClock clock, Mutations mutations)
    {
        var bytes = mutations.Apply(VersionCodec.EncodeContextBytes(clock));
        var reencoded = DecodeReencode(bytes, b => VersionCodec.EncodeContextBytes(VersionCodec.DecodeContextBytes(b)));
        if (reencoded is null || bytes.Length == 0) return; // empty means "no context" by design
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(reencoded));
    }

    [Property]
    public void Mutated_sibling_sets_fail_cleanly_or_reencode_identically(History history, NonNegativeInt i, Mutations mutations)
    {
        var bytes = mutations.Apply(VersionCodec.EncodeSiblingSet(Pick(history, i)));
        var reencoded = DecodeReencode(bytes, b => VersionCodec.EncodeSiblingSet(VersionCodec.DecodeSiblingSet(b)));
        if (reencoded is null) return;
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(reencoded));
    }

    [Property]
    public void Every_truncation_of_a_sibling_set_is_rejected(History history, NonNegativeInt i)
    {
        var bytes = VersionCodec.EncodeSiblingSet(Pick(history, i));
        for (int n = 0; n < bytes.Length; n++)
        {
            var prefix = bytes[..n];
            Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet(prefix));
        }
    }

    [Property]
    public void Every_truncation_of_a_context_is_rejected(CodecClock c)
    {
        var bytes = VersionCodec.EncodeContextBytes(c.Clock);
        for (int n = 1; n < bytes.Length; n++)
        {
            var prefix = bytes[..n];
            Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContextBytes(prefix));
        }
    }

    [Property]
    public void Trailing_bytes_are_rejected(VectorClock clock, History history, NonNegativeInt i, byte extra)
    {
        Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContextBytes([.. VersionCodec.EncodeContextBytes(clock), extra]));
        Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet([.. VersionCodec.EncodeSiblingSet(Pick(history, i)), extra]));
    }

    [Property]
    public void Random_bytes_fail_cleanly_or_reencode_identically(byte[] bytes)
    {
        var context = DecodeReencode(bytes, b => VersionCodec.EncodeContextBytes(VersionCodec.DecodeContextBytes(b)));
        if (context is not null && bytes.Length > 0) Assert.Equal(bytes, context);
        var set = DecodeReencode(bytes, b => VersionCodec.EncodeSiblingSet(VersionCodec.DecodeSiblingSet(b)));
        if (set is not null) Assert.Equal(bytes, set);
    }

    [Property]
    public void Bad_base64_fails_cleanly_or_decodes_its_bytes(MaybeBase64 input)
    {
        VectorClock clock;
        try
        {
            clock = VersionCodec.DecodeContext(input.Text);
        }
        catch (VersionFormatException)
        {
            return;
        }
        var bytes = Convert.FromBase64String(input.Text);
        if (bytes.Length == 0) Assert.Same(VectorClock.Empty, clock);
        else Assert.Equal(bytes, VersionCodec.EncodeContextBytes(clock));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("AQ")]
    [InlineData("A===")]
    [InlineData("AQA=AQA=")]
    public void Malformed_base64_is_a_format_error(string text)
    {
        var e = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContext(text));
        Assert.Contains("base64", e.Message);
    }

    [Fact]
    public void Unknown_format_bytes_are_rejected_with_a_clear_message()
    {
        for (int format = 0; format < 256; format++)
        {
            if (format == VersionCodec.ContextFormatV1) continue;
            byte f = (byte)format;
            var context = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContextBytes([f, 0]));
            Assert.Equal($"context has unknown format {format}", context.Message);
            var set = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet([f, 0, 0]));
            // Format 2 is known (content types); an empty v2 set is refused for holding no content type.
            Assert.Equal(format == VersionCodec.SiblingSetFormatV2
                ? "sibling set is format 2 but no sibling has a content type (such a set is written as format 1)"
                : $"sibling set has unknown format {format}", set.Message);
            var viaBase64 = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContext(Convert.ToBase64String([f, 0])));
            Assert.Contains("unknown format", viaBase64.Message);
        }
    }

    [Property]
    public void Clocks_built_with_any_public_operation_round_trip(VectorClock clock, byte pick, sbyte counter)
    {
        string node = Generators.Nodes[pick % Generators.Nodes.Length];
        foreach (var c in new[] { clock.WithEntry(node, counter, 1), clock.Increment(node, -5), clock.Prune(1 + pick % 4) })
            Assert.Equal(c, VersionCodec.DecodeContextBytes(VersionCodec.EncodeContextBytes(c)));
    }

    [Fact]
    public void Empty_sibling_set_bytes_are_rejected() =>
        Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet([]));

    [Theory]
    [InlineData("01" + "01" + "0161" + "00" + "00", "entry 'a' has counter 0")]                      // counter 0
    [InlineData("01" + "01" + "0161" + "FFFFFFFFFFFFFFFFFF01" + "00", "entry 'a' has counter 18446744073709551615, above the maximum")]  // counter 2^64-1
    [InlineData("01" + "01" + "0161" + "FFFFFFFFFFFFFFFF7F" + "00", "entry 'a' has counter 9223372036854775807, above the maximum 9007199254740992")]  // 2^63-1
    [InlineData("01" + "01" + "0161" + "8180808080808010" + "00", "entry 'a' has counter 9007199254740993, above the maximum")]  // 2^53+1
    [InlineData("01" + "02" + "0162" + "01" + "00" + "0161" + "01" + "00", "out of order")]          // b before a
    [InlineData("01" + "02" + "0161" + "01" + "00" + "0161" + "01" + "00", "out of order")]          // duplicate node
    [InlineData("01" + "01" + "00" + "01" + "00", "empty node name")]
    [InlineData("01" + "01" + "01FF" + "01" + "00", "not UTF-8")]
    [InlineData("01" + "01" + "0161" + "FFFFFFFFFFFFFFFFFFFF01" + "00", "overlong")]
    [InlineData("01" + "01" + "0561" + "0100", "past its end")]                                        // name of 5 bytes, 3 left
    [InlineData("01" + "02" + "0161" + "01", "declares 2 clock entries, more than its remaining 3 bytes hold")]
    [InlineData("01" + "8020", "declares 4096 clock entries, more than its remaining 0 bytes hold")]
    [InlineData("01" + "01" + "0161" + "8100" + "00", "overlong")]                                    // counter 1 as two bytes
    [InlineData("01" + "8100", "overlong")]                                                            // entry count 1 as two bytes
    [InlineData("01" + "01" + "0161" + "01" + "FFFFFFFFFFFFFFFFFF7F", "overlong")]                    // timestamp bits past 64
    [InlineData("01" + "FFFF03", "too many clock entries")]
    public void Malformed_contexts_name_the_problem(string hex, string why)
    {
        var e = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContextBytes(Convert.FromHexString(hex)));
        Assert.Contains(why, e.Message);
    }

    private const string OneEntryClock = "01" + "0161" + "02" + "00"; // {a:2}

    [Theory]
    [InlineData("01" + OneEntryClock + "01" + "0161" + "03" + "00" + "00" + "00", "inconsistent")]  // dot a:3 not covered
    [InlineData("01" + OneEntryClock + "02" + "0161" + "01" + "00" + "00" + "00" + "0161" + "01" + "00" + "00" + "00", "inconsistent")] // duplicate dot
    [InlineData("01" + OneEntryClock + "01" + "0161" + "01" + "02" + "00" + "00", "unknown sibling flags")]
    [InlineData("01" + OneEntryClock + "01" + "0161" + "01" + "00" + "00" + "05AA", "past its end")]
    [InlineData("01" + OneEntryClock + "01" + "0161" + "00" + "00" + "00" + "00", "dot 'a' has counter 0")]  // dot a:0
    [InlineData("01" + OneEntryClock + "01" + "0162" + "00" + "00" + "00" + "00", "dot 'b' has counter 0")]  // dot b:0, node not in the context
    [InlineData("01" + OneEntryClock + "01" + "0161" + "FFFFFFFFFFFFFFFFFF01" + "00" + "00" + "00", "dot 'a' has counter 18446744073709551615, above the maximum")] // dot a:2^64-1 (negative as long)
    [InlineData("01" + OneEntryClock + "02" + "0161" + "02" + "00" + "00" + "00" + "0161" + "01" + "00" + "00" + "00", "out of order")] // a:2 before a:1
    [InlineData("01" + OneEntryClock + "838004", "too many siblings")]
    [InlineData("01" + OneEntryClock + "808004", "declares 65536 siblings, more than its remaining 0 bytes hold")]
    [InlineData("01" + OneEntryClock + "FFFFFFFF0F", "too many siblings")]   // 2^32-1 siblings
    [InlineData("01" + OneEntryClock + "FFFFFFFFFFFFFFFF7F", "too many siblings")]
    public void Malformed_sibling_sets_name_the_problem(string hex, string why)
    {
        var e = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet(Convert.FromHexString(hex)));
        Assert.Contains(why, e.Message);
    }
}
