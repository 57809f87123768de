using FsCheck.Xunit;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>
/// Counters stay within 1..<see cref="VectorClock.MaxCounter"/>: a decoder refuses any other naming the entry or dot,
/// and no clock or sibling-set operation makes one, so every version that exists can be encoded and decoded again
/// (a context of 2^63−1 once made its key unreadable and unwritable: the next dot wrapped negative).
/// </summary>
public sealed class CounterBoundsTests
{
    private const long Max = VectorClock.MaxCounter;
    private static readonly byte[] Value = [7];

    private static string Varint(ulong v)
    {
        var bytes = new List<byte>();
        for (; v >= 0x80; v >>= 7) bytes.Add((byte)(v | 0x80));
        bytes.Add((byte)v);
        return Convert.ToHexString(bytes.ToArray());
    }

    /// <summary>A context {a: counter} in format 1, built by hand so any counter can be written.</summary>
    private static byte[] ContextA(ulong counter) => Convert.FromHexString("01" + "01" + "0161" + Varint(counter) + "00");

    [Fact]
    public void The_maximum_is_two_to_the_53()
    {
        Assert.Equal(9_007_199_254_740_992L, Max);
        Assert.Equal(Max, (long)(double)Max); // exact as a double
    }

    [Fact]
    public void A_context_at_the_maximum_decodes_and_one_past_it_is_refused_naming_the_entry()
    {
        Assert.Equal(Max, VersionCodec.DecodeContextBytes(ContextA((ulong)Max)).CounterOf("a"));
        foreach (ulong counter in new ulong[] { (ulong)Max + 1, long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue })
        {
            var e = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeContext(Convert.ToBase64String(ContextA(counter))));
            Assert.Equal($"context entry 'a' has counter {counter}, above the maximum {Max}", e.Message);
        }
    }

    [Fact]
    public void A_sibling_set_with_a_context_or_dot_counter_past_the_maximum_is_refused_naming_it()
    {
        string atMax = "01" + "0161" + Varint((ulong)Max) + "00";            // context {a: 2^53}
        string sibling = "0161" + Varint((ulong)Max) + "00" + "00" + "00";    // dot a:2^53, live, ts 0, empty value
        var ok = VersionCodec.DecodeSiblingSet(Convert.FromHexString("01" + atMax + "01" + sibling));
        Assert.Equal(new Dot("a", Max), Assert.Single(ok.Siblings).Dot);

        string pastMax = "01" + "0161" + Varint((ulong)Max + 1) + "00";
        var context = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet(Convert.FromHexString("01" + pastMax + "00")));
        Assert.Equal($"sibling set entry 'a' has counter {Max + 1}, above the maximum {Max}", context.Message);
        string dotPastMax = "0161" + Varint(long.MaxValue) + "00" + "00" + "00";
        var dot = Assert.Throws<VersionFormatException>(() => VersionCodec.DecodeSiblingSet(Convert.FromHexString("01" + atMax + "01" + dotPastMax)));
        Assert.Equal($"sibling set dot 'a' has counter {long.MaxValue}, above the maximum {Max}", dot.Message);
    }

    [Fact]
    public void No_clock_operation_makes_a_counter_past_the_maximum()
    {
        var atMax = VectorClock.Empty.WithEntry("a", Max, 1);
        var e = Assert.Throws<VersionCounterOverflowException>(() => atMax.Increment("a", 2));
        Assert.Equal(("a", Max + 1), (e.Node, e.Counter));
        Assert.Contains($"above the maximum {Max}", e.Message);
        Assert.Throws<VersionCounterOverflowException>(() => VectorClock.Empty.WithEntry("b", long.MaxValue, 1));
        Assert.Throws<VersionCounterOverflowException>(() => VectorClock.From([new ClockEntry("b", Max + 1, 0)]));
        Assert.Equal(Max, atMax.Merge(VectorClock.Empty.WithEntry("a", Max - 5, 9)).CounterOf("a"));
    }

    [Fact]
    public void A_write_whose_coordinator_is_at_the_maximum_is_refused_and_one_below_makes_the_last_dot()
    {
        var clientAtMax = VectorClock.Empty.WithEntry("a", Max, 1);
        var e = Assert.Throws<VersionCounterOverflowException>(() => SiblingSet.Empty.Update(clientAtMax, "a", Value, false, 5));
        Assert.Equal("a", e.Node);
        // Another coordinator can still write; the counter at the maximum only rides along in the context.
        var byB = SiblingSet.Empty.Update(clientAtMax, "b", Value, false, 5);
        Assert.Equal(byB, VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(byB)));

        var last = SiblingSet.Empty.Update(VectorClock.Empty.WithEntry("a", Max - 1, 1), "a", Value, false, 5);
        Assert.Equal(new Dot("a", Max), Assert.Single(last.Siblings).Dot);
        Assert.Equal(last, VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(last)));
        Assert.Throws<VersionCounterOverflowException>(() => last.Update(last.Context, "a", Value, true, 6));
    }

    [Fact]
    public void Node_names_the_codec_cannot_carry_are_refused_when_they_enter_a_clock()
    {
        string longest = new('x', VectorClock.MaxNodeNameBytes);
        var clock = VectorClock.Empty.Increment(longest, 1);
        Assert.Equal(clock, VersionCodec.DecodeContextBytes(VersionCodec.EncodeContextBytes(clock)));
        Assert.Throws<ArgumentException>(() => VectorClock.Empty.Increment(longest + "x", 1));
        Assert.Throws<ArgumentException>(() => VectorClock.Empty.Increment(new string('é', 129), 1)); // 258 UTF-8 bytes
        Assert.Throws<ArgumentException>(() => VectorClock.Empty.Increment("", 1));
        Assert.Throws<ArgumentException>(() => VectorClock.From([new ClockEntry("", 1, 0)]));
    }

    /// <summary>
    /// Replicas near the maximum, updated by random coordinators with random client contexts and merged at random:
    /// every write either makes a version that encodes and decodes to itself, or is refused (only when the
    /// coordinator's counter is already at the maximum) and changes nothing.
    /// </summary>
    [Property(MaxTest = 200)]
    public void Versions_made_near_the_maximum_always_decode_or_the_write_is_refused(int seed)
    {
        var rng = new Random(seed);
        string[] nodes = ["a", "b", "c"];
        VectorClock NearMax() => VectorClock.From(nodes.Where(_ => rng.Next(2) == 0).Select(n => new ClockEntry(n, Max - rng.Next(0, 4), rng.Next(10))));
        var replicas = new[] { SiblingSet.Empty, SiblingSet.Empty, SiblingSet.Empty };
        for (int step = 0; step < 30; step++)
        {
            int r = rng.Next(replicas.Length);
            if (rng.Next(3) == 0)
            {
                replicas[r] = replicas[r].Merge(replicas[rng.Next(replicas.Length)]);
            }
            else
            {
                var client = rng.Next(2) == 0 ? NearMax() : replicas[r].Context;
                string coordinator = nodes[rng.Next(nodes.Length)];
                bool full = Math.Max(client.CounterOf(coordinator), replicas[r].Context.CounterOf(coordinator)) == Max;
                try
                {
                    replicas[r] = replicas[r].Update(client, coordinator, Value, rng.Next(4) == 0, step);
                    Assert.False(full, $"a write by {coordinator} at the maximum was not refused");
                }
                catch (VersionCounterOverflowException e)
                {
                    Assert.True(full, e.Message);
                }
            }
            var bytes = VersionCodec.EncodeSiblingSet(replicas[r]);
            Assert.Equal(replicas[r], VersionCodec.DecodeSiblingSet(bytes));
            Assert.All(replicas[r].Context.Entries, e => Assert.InRange(e.Counter, 1, Max));
        }
    }
}
