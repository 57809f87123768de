using System.Collections.Immutable;
using FsCheck;
using FsCheck.Xunit;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Tests.Fuzzing;
using OrleansDynamo.Core.Tests.Versioning;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// The data type codec: every state any history makes round-trips to the same state and bytes; a cut or extended
/// encoding is refused; malformed input is refused with a <see cref="VersionFormatException"/> naming what is wrong;
/// and random or mutated bytes either decode to a state that encodes back to the same bytes or are refused, within
/// the allocation bounds of <see cref="DecoderFuzz"/>.
/// </summary>
[Properties(Arbitrary = [typeof(DataTypeGenerators), typeof(Generators), typeof(FuzzGenerators)], MaxTest = DataTypeGenerators.MaxTest)]
public sealed class DataTypeCodecTests
{
    private static DataTypeState Pick(DtHistory history, NonNegativeInt pick)
    {
        var s = DataTypeWorld.Run(history).Snapshots;
        return s[pick.Get % s.Count];
    }

    [Property]
    public void Every_state_round_trips_to_the_same_state_and_bytes(DtHistory history, NonNegativeInt pick)
    {
        var state = Pick(history, pick);
        var bytes = DataTypeCodec.Encode(state);
        var decoded = DataTypeCodec.Decode(bytes);
        Assert.True(state.Equals(decoded), $"{state}\n{decoded}");
        Assert.Equal(bytes, DataTypeCodec.Encode(decoded));
        var context = DataTypeCodec.DecodeContext(DataTypeCodec.EncodeContext(state.Context));
        Assert.Equal(state.Context, context);
    }

    [Property]
    public void A_cut_or_extended_encoding_is_refused(DtHistory history, NonNegativeInt pick, PositiveInt cut, byte extra)
    {
        var bytes = DataTypeCodec.Encode(Pick(history, pick));
        Assert.Throws<VersionFormatException>(() => DataTypeCodec.Decode(bytes.AsSpan(0, cut.Get % bytes.Length)));
        Assert.Throws<VersionFormatException>(() => DataTypeCodec.Decode([.. bytes, extra]));
        var context = DataTypeCodec.EncodeContextBytes(Pick(history, pick).Context);
        Assert.Throws<VersionFormatException>(() => DataTypeCodec.DecodeContextBytes(context.AsSpan(0, cut.Get % context.Length)));
        Assert.Throws<VersionFormatException>(() => DataTypeCodec.DecodeContextBytes([.. context, extra]));
    }

    // ---- fuzzing ----

    private static DataTypeState? State(byte[] bytes) =>
        DecoderFuzz.Decode<DataTypeState, VersionFormatException>(bytes, b => DataTypeCodec.Decode(b));

    private static CausalContext? Context(byte[] bytes) =>
        DecoderFuzz.Decode<CausalContext, VersionFormatException>(bytes, b => DataTypeCodec.DecodeContextBytes(b));

    [Property(MaxTest = 1000)]
    public void States_decode_or_are_refused_within_bounds(DtHistory history, NonNegativeInt pick, Mutations mutations, Noise noise)
    {
        var valid = DataTypeCodec.Encode(Pick(history, pick));
        foreach (var bytes in new[] { mutations.Apply(valid), noise.Bytes })
        {
            if (State(bytes) is { } decoded) Assert.Equal(bytes, DataTypeCodec.Encode(decoded));
        }
    }

    [Property(MaxTest = 1000)]
    public void Contexts_decode_or_are_refused_within_bounds(DtHistory history, NonNegativeInt pick, Mutations mutations, Noise noise)
    {
        var valid = DataTypeCodec.EncodeContextBytes(Pick(history, pick).Context);
        foreach (var bytes in new[] { mutations.Apply(valid), noise.Bytes })
        {
            if (Context(bytes) is { } decoded) Assert.Equal(bytes, DataTypeCodec.EncodeContextBytes(decoded));
        }
    }

    [Fact]
    public void A_large_state_decodes_within_the_allocation_bound()
    {
        var set = OrSet.Empty;
        for (int i = 0; i < 20; i++) set = set.Add($"silo{i % 4}~1", Enumerable.Range(0, 1000).Select(k => $"{i}-{k}")).State;
        var map = OrMap.Empty;
        for (int i = 0; i < 10; i++)
        {
            map = map.Update($"silo{i % 4}~1", new MapUpdate([.. Enumerable.Range(0, 100).Select(k =>
                (MapFieldOperation)new FieldUpdate(new FieldKey($"f{i}-{k}", DataTypeKind.Map), new MapUpdate([
                    new FieldUpdate(new FieldKey("n", DataTypeKind.Counter), new CounterIncrement(k + 1)),
                    new FieldUpdate(new FieldKey("r", DataTypeKind.Register), new RegisterAssign([1, 2, 3])),
                ])))]), null).State;
        }
        foreach (DataTypeState state in new DataTypeState[] { set, map })
        {
            var bytes = DataTypeCodec.Encode(state);
            Assert.NotNull(State(bytes));
        }
    }

    // ---- malformed input, by hand ----

    private static string V(ulong v)
    {
        var bytes = new List<byte>();
        for (; v >= 0x80; v >>= 7) bytes.Add((byte)(v | 0x80));
        bytes.Add((byte)v);
        return Convert.ToHexString(bytes.ToArray());
    }

    private static string S(string s) => V((ulong)System.Text.Encoding.UTF8.GetByteCount(s)) + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(s));

    private static string Refused(string hex) => Assert.Throws<VersionFormatException>(() => DataTypeCodec.Decode(Convert.FromHexString(hex))).Message;

    [Fact]
    public void Hand_made_states_decode_to_what_they_say()
    {
        // A set {x} with context {a:1..2}: element x under dot a:2.
        var set = (OrSet)DataTypeCodec.Decode(Convert.FromHexString("0102" + "01" + S("a") + "01" + "0002" + "00" + "01" + S("x") + "01" + "0002" + "00"));
        Assert.Equal(["x"], set.Elements.ToArray());
        Assert.Equal(CausalContext.FromVector([new Dot("a", 2)]), set.Context);
        var counter = (PnCounter)DataTypeCodec.Decode(Convert.FromHexString("0101" + "02" + S("a") + "05" + "00" + S("b") + "00" + "07"));
        Assert.Equal(-2, counter.Value);
    }

    [Fact]
    public void Malformed_states_are_refused_naming_what_is_wrong()
    {
        string actorA = "01" + S("a");
        Assert.Equal("data type has unknown format 2", Refused("0201"));
        Assert.Equal("data type is a register, which only a map field may be", Refused("0104"));
        Assert.Equal("data type has unknown type 6", Refused("0106"));
        Assert.Equal($"counter entry 'a' increments total {VectorClock.MaxCounter + 1}, above the maximum {VectorClock.MaxCounter}",
            Refused("0101" + "01" + S("a") + V((ulong)VectorClock.MaxCounter + 1) + "00"));
        Assert.Equal("counter entry 'a' is out of order", Refused("0101" + "02" + S("b") + "0100" + S("a") + "0100"));
        Assert.Equal("counter is invalid: counter entry a:+0-0 counts nothing", Refused("0101" + "01" + S("a") + "0000"));
        Assert.Equal("set element 'x' dot 'a' has counter 0 (counters start at 1)", Refused("0102" + actorA + "010001" + "00" + "01" + S("x") + "01" + "0000" + "00"));
        Assert.Equal("set is invalid: set element 'x' has dot a:3, which the context has not seen",
            Refused("0102" + actorA + "010002" + "00" + "01" + S("x") + "01" + "0003" + "00"));
        Assert.Equal("set element 'x' dot names actor #1 of 1", Refused("0102" + actorA + "010002" + "00" + "01" + S("x") + "01" + "0101" + "00"));
        Assert.Equal("set names actor 'b' that no context holds", Refused("0102" + "02" + S("a") + S("b") + "010002" + "00" + "00" + "00"));
        Assert.Equal("set element 'x' has no dots", Refused("0102" + actorA + "010002" + "00" + "01" + S("x") + "00" + "00"));
        Assert.Equal("set context is not canonical: context cloud dot a:1 is not past a gap (vector counter 0)",
            Refused("0102" + actorA + "00" + "01" + "0001" + "00" + "00"));
        Assert.Equal("set is invalid: waiting remove of 'x' observed nothing the context lacks",
            Refused("0102" + actorA + "010002" + "00" + "00" + "01" + S("x") + "010001" + "00"));
        string field(string name, int kind) => S(name) + ((byte)kind).ToString("X2");
        Assert.Equal("map field 'm'(map) has no fields", Refused("0103" + actorA + "010001" + "00" + "01" + field("m", 3) + "00" + "00"));
        Assert.Equal("map field 'b'(counter) is out of order",
            Refused("0103" + actorA + "010002" + "00" + "02" + field("x", 1) + "01" + "0001" + "0100" + field("b", 1) + "01" + "0002" + "0100" + "00"));
        Assert.Equal("map field 'f' has unknown type 9", Refused("0103" + actorA + "010001" + "00" + "01" + field("f", 9) + "00"));
        Assert.Equal("map field 'f'(flag) dot 'a' has counter 0 (counters start at 1)", Refused("0103" + actorA + "010001" + "00" + "01" + field("f", 5) + "01" + "0000" + "00"));
        Assert.Equal("map field 'f'(flag) is invalid: flag dots must be sorted and unique",
            Refused("0103" + actorA + "010002" + "00" + "01" + field("f", 5) + "02" + "0002" + "0001" + "00"));
        // Nine maps deep: one past the limit.
        string deep = "01" + field("x", 1) + "01" + "0001" + "0100";
        for (int i = 0; i < 8; i++) deep = "01" + field("m", 3) + deep;
        Assert.EndsWith($"nests maps deeper than {DataTypeLimits.MaxMapDepth}", Refused("0103" + actorA + "010001" + "00" + deep + "00"));
        Assert.Equal("map is invalid: waiting remove 'x'(set) seen [a:1..3] was not applied",
            Refused("0103" + actorA + "010002" + "00" + "01" + field("x", 2) + "01" + S("e") + "01" + "0001" + "01" + "01" + field("x", 2) + "00" + "010003" + "00"));
        Assert.Equal("map waiting remove 0 context vector entry 'a' has counter 0 (counters start at 1)",
            Refused("0103" + actorA + "010002" + "00" + "00" + "01" + "01" + field("x", 2) + "00" + "010000" + "00"));
        Assert.Equal("map waiting remove 0 has element marker 2",
            Refused("0103" + actorA + "010002" + "00" + "00" + "01" + "01" + field("x", 2) + "02"));
    }

    [Fact]
    public void Malformed_contexts_are_refused()
    {
        Assert.Null(DataTypeCodec.DecodeContext(null));
        Assert.Null(DataTypeCodec.DecodeContext(""));
        Assert.Equal("data type context is not valid base64", Assert.Throws<VersionFormatException>(() => DataTypeCodec.DecodeContext("!!")).Message);
        Assert.Equal("data type context has unknown format 7", Assert.Throws<VersionFormatException>(() => DataTypeCodec.DecodeContextBytes([7])).Message);
        Assert.Equal("data type context vector entry 'a' has counter 0 (counters start at 1)",
            Assert.Throws<VersionFormatException>(() => DataTypeCodec.DecodeContextBytes(Convert.FromHexString("01" + "01" + S("a") + "01" + "0000" + "00"))).Message);
        Assert.Equal(CausalContext.Empty, DataTypeCodec.DecodeContextBytes([1, 0, 0, 0]));
        var ctx = CausalContext.From([new Dot("silo0~1", 1), new Dot("silo0~1", 2), new Dot("silo1~1", 5)]);
        Assert.Equal(ctx, DataTypeCodec.DecodeContext(DataTypeCodec.EncodeContext(ctx)));
        Assert.Equal([new Dot("silo1~1", 5)], ctx.Cloud.ToArray());
    }
}
