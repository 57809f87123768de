using System.Collections.Immutable;
using System.Numerics;
using FsCheck.Xunit;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Ring;
using Xunit;
using static OrleansDynamo.Core.Tests.Ring.RingTestData;

namespace OrleansDynamo.Core.Tests.Ring;

public sealed class RingSnapshotTests
{
    [Theory]
    [InlineData(0, "at least 1")]
    [InlineData(-4, "at least 1")]
    [InlineData(3, "power of two")]
    [InlineData(1000, "power of two")]
    public void Rejects_a_bad_partition_count(int q, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => RingSnapshot.Create(Silos(3), q));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Rejects_bad_members()
    {
        Assert.Contains("at least one member", Assert.Throws<ArgumentException>(() => RingSnapshot.Create([], 64)).Message);
        Assert.Contains("Duplicate", Assert.Throws<ArgumentException>(() =>
            RingSnapshot.Create([new SiloMember("a"), new SiloMember("b"), new SiloMember("a")], 64)).Message);
        Assert.Contains("name must not be empty", Assert.Throws<ArgumentException>(() => RingSnapshot.Create([new SiloMember("")], 64)).Message);
        foreach (double w in new[] { 0.0, -1.0, double.NaN, double.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => RingSnapshot.Create([new SiloMember("a"), new SiloMember("b", Weight: w)], 64));
            Assert.Contains("weight", e.Message);
            Assert.Contains("'b'", e.Message);
        }
    }

    [Fact]
    public void Rejects_a_layout_that_does_not_fit()
    {
        Assert.Throws<ArgumentException>(() => new RingSnapshot(4, 1, ["a", "a", "a"], [new SiloMember("a")]));
        Assert.Contains("not a member", Assert.Throws<ArgumentException>(() =>
            new RingSnapshot(2, 1, ["a", "ghost"], [new SiloMember("a")])).Message);
        Assert.Throws<ArgumentException>(() => Claim.Compute(new string[8], Silos(2), 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => Claim.Compute(null, Silos(2), 16, targetN: 0));
    }

    [Fact]
    public void Members_are_sorted_and_version_grows_with_each_change()
    {
        var ring = RingSnapshot.Create([new SiloMember("c"), new SiloMember("a"), new SiloMember("b")], 64, version: 7);
        Assert.Equal(["a", "b", "c"], ring.Members.Select(m => m.Name));
        Assert.Equal(7, ring.Version);
        var next = ring.WithMembers(Silos(4));
        Assert.Equal(8, next.Version);
        Assert.Equal(64, next.PartitionCount);
        Assert.Equal(1024, RingSnapshot.DefaultPartitionCount);
    }

    [Fact]
    public void A_rebuilt_snapshot_equals_the_original()
    {
        var ring = RingSnapshot.Create(Silos(5, zones: 2), 256);
        var copy = new RingSnapshot(ring.PartitionCount, ring.Version, ring.Owners, ring.Members.Reverse());
        Assert.Equal<string>(ring.Owners, copy.Owners);
        Assert.Equal(ring.PreferenceListFor(17, 3), copy.PreferenceListFor(17, 3));
    }

    [Fact]
    public void Partition_counts_list_every_member_even_one_owning_nothing()
    {
        var ring = RingSnapshot.Create(Silos(6), 4);
        var counts = ring.PartitionCounts();
        Assert.Equal(6, counts.Count);
        Assert.Equal(4, counts.Values.Sum());
        Assert.All(counts.Values, c => Assert.InRange(c, 0, 1));
    }

    [Property(MaxTest = 200)]
    public void PartitionOf_agrees_with_KeyHash_Partition_and_the_documented_range(string key, byte qBits)
    {
        int q = 1 << (qBits % 13);
        var ring = RingSnapshot.Create(Silos(3), q);
        var k = new DynamoKey("bucket", key ?? "");
        int p = ring.PartitionOf(k);
        Assert.Equal(k.Hash.Partition(q), p);
        Assert.Equal(p, ring.PartitionOf(k.Hash));
        var width = BigInteger.Pow(2, 128) / q;
        var h = BigInteger.Parse(k.Hash.Value.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(width * p <= h && h < width * (p + 1));
    }

    [Fact]
    public void PartitionOf_at_the_range_edges()
    {
        var ring = RingSnapshot.Create(Silos(3), 1024);
        UInt128 width = UInt128.MaxValue / 1024 + 1;
        Assert.Equal(0, ring.PartitionOf(new KeyHash(UInt128.Zero)));
        Assert.Equal(1023, ring.PartitionOf(new KeyHash(UInt128.MaxValue)));
        Assert.Equal(5, ring.PartitionOf(new KeyHash(width * 5)));
        Assert.Equal(4, ring.PartitionOf(new KeyHash(width * 5 - 1)));
        Assert.Equal(0, RingSnapshot.Create(Silos(1), 1).PartitionOf(new KeyHash(UInt128.MaxValue)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void PartitionsOf_is_every_partition_whose_primaries_include_the_silo(int n)
    {
        var ring = RingSnapshot.Create(Silos(7, zones: 3), 128);
        int total = 0;
        foreach (var m in ring.Members)
        {
            var mine = ring.PartitionsOf(m.Name, n);
            var expected = Enumerable.Range(0, 128).Where(p => ring.PreferenceListFor(p, n).Primaries.Contains(m.Name));
            Assert.Equal(expected, mine);
            total += mine.Count;
        }
        Assert.Equal(128 * n, total);
        Assert.Empty(ring.PartitionsOf("ghost", n));
    }

    [Fact]
    public void Owners_is_immutable_data()
    {
        var ring = RingSnapshot.Create(Silos(3), 16);
        Assert.IsType<ImmutableArray<string>>(ring.Owners);
        Assert.Equal<string>(ring.Owners, ring.WithMembers(ring.Members).Owners); // same members: nothing moves
    }
}
