using System.Text;
using FsCheck.Xunit;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.AntiEntropy;

public sealed class VersionDigestTests
{
    private static byte[] V(string s) => Encoding.UTF8.GetBytes(s);

    private static SiblingSet Write(SiblingSet set, string node, string value, long ts, bool tombstone = false, string? type = null) =>
        set.Update(set.Context, node, V(value), tombstone, ts, type);

    [Fact]
    public void Equal_sets_have_equal_digests_even_when_context_timestamps_differ()
    {
        var a = SiblingSet.Create(VectorClock.From([new ClockEntry("x", 2, 100), new ClockEntry("y", 1, 5)]),
            [new Sibling(new Dot("x", 2), V("v"), false, 100)]);
        var b = SiblingSet.Create(VectorClock.From([new ClockEntry("y", 1, 999), new ClockEntry("x", 2, 100)]),
            [new Sibling(new Dot("x", 2), V("v"), false, 100)]);
        Assert.Equal(a, b);
        Assert.Equal(VersionDigest.Of(a), VersionDigest.Of(b));
        Assert.Equal(VersionDigest.Of(a), VersionDigest.Of(VersionCodec.DecodeSiblingSet(VersionCodec.EncodeSiblingSet(a))));
    }

    [Fact]
    public void Every_visible_field_changes_the_digest()
    {
        var baseSet = Write(SiblingSet.Empty, "x", "v", 100);
        var variants = new[]
        {
            baseSet,
            Write(SiblingSet.Empty, "x", "vv", 100),
            Write(SiblingSet.Empty, "x", "v", 101),
            Write(SiblingSet.Empty, "x", "v", 100, tombstone: true),
            Write(SiblingSet.Empty, "y", "v", 100),
            Write(SiblingSet.Empty, "x", "v", 100, type: "text/plain"),
            Write(SiblingSet.Empty, "x", "v", 100, type: "text/html"),
            Write(baseSet, "x", "v", 100),
            baseSet.Merge(Write(SiblingSet.Empty, "y", "v", 100)),
            SiblingSet.Empty,
        };
        Assert.Equal(variants.Length, variants.Select(VersionDigest.Of).Distinct().Count());
    }

    [Fact]
    public void A_value_is_named_by_its_dot_and_length_not_read()
    {
        // Scheme 2: two replicas holding one dot hold one write, and Merge keeps either copy, so the bytes are not hashed.
        var a = SiblingSet.Create(VectorClock.From([new ClockEntry("x", 1, 100)]), [new Sibling(new Dot("x", 1), V("v"), false, 100)]);
        var b = SiblingSet.Create(VectorClock.From([new ClockEntry("x", 1, 100)]), [new Sibling(new Dot("x", 1), V("w"), false, 100)]);
        Assert.Equal(VersionDigest.Of(a), VersionDigest.Of(b));
    }

    [Fact]
    public void A_typed_state_is_read_since_its_fixed_dot_names_no_write()
    {
        var one = TypedValue.Wrap(PnCounter.Empty.Increment("a", 1).State);
        var two = TypedValue.Wrap(PnCounter.Empty.Increment("a", 2).State);
        Assert.Equal(one.Siblings[0].Dot, two.Siblings[0].Dot);
        Assert.Equal(one.Siblings[0].Value.Length, two.Siblings[0].Value.Length);
        Assert.NotEqual(VersionDigest.Of(one), VersionDigest.Of(two));
        Assert.Equal(VersionDigest.Of(one), VersionDigest.Of(TypedValue.Wrap(PnCounter.Empty.Increment("a", 1).State)));
    }

    [Fact]
    public void The_digest_is_pinned_across_processes_and_platforms()
    {
        // Computed outside .NET (Python) from the layout in VersionDigest: scheme byte 2; the context's count and its
        // entries by node (length, then UTF-16 code units low byte first) and counter; the siblings' count and each one's
        // dot, flags, timestamp and value length; integers as 8 bytes little-endian; FNV-1a, then the SplitMix64 finalizer.
        var set = Write(Write(SiblingSet.Empty, "x", "v", 100), "y", "", 101, tombstone: true).Merge(Write(SiblingSet.Empty, "z", "w", -5));
        Assert.Equal(16578396120770503177UL, VersionDigest.Of(set));
    }

    [Property(MaxTest = 200)]
    public void Merge_order_does_not_change_the_digest(int seed)
    {
        // Three replicas that took writes after a common one, each through its own coordinators (a dot names one write).
        var rng = new Random(seed);
        var common = Write(SiblingSet.Empty, "c", "v", 1);
        var sets = Enumerable.Range(0, 3).Select(i =>
        {
            var s = common;
            for (int k = rng.Next(1, 4); k > 0; k--) s = Write(s, $"r{i}n{rng.Next(2)}", "v" + rng.Next(5), rng.Next(1000));
            return s;
        }).ToArray();
        var ab = sets[0].Merge(sets[1]).Merge(sets[2]);
        var ba = sets[2].Merge(sets[0]).Merge(sets[1]);
        Assert.Equal(ab, ba);
        Assert.Equal(VersionDigest.Of(ab), VersionDigest.Of(ba));
        Assert.NotEqual(VersionDigest.Of(ab), VersionDigest.Of(sets[rng.Next(3)]));
    }
}
