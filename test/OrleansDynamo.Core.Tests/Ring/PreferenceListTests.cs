using FsCheck.Xunit;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Ring;
using Xunit;
using static OrleansDynamo.Core.Tests.Ring.RingTestData;

namespace OrleansDynamo.Core.Tests.Ring;

public sealed class PreferenceListTests
{
    private static RingSnapshot RandomRing(Random random, out int zones)
    {
        int s = random.Next(1, 20);
        zones = random.Next(0, 5);
        var ring = RingSnapshot.Create(Silos(s, zones), 1 << random.Next(4, 9));
        // Sometimes age the ring with a change so layouts are not only fresh stripes.
        if (random.Next(2) == 0) ring = ring.WithMembers(Silos(s + 2, zones).Where((_, i) => i != random.Next(s)));
        return ring;
    }

    [Property(MaxTest = 100)]
    public void Primaries_are_distinct_zone_aware_and_fallbacks_hold_everyone_else(int seed)
    {
        var random = new Random(seed);
        var ring = RandomRing(random, out _);
        int n = random.Next(1, 6);
        int p = random.Next(ring.PartitionCount);
        var list = ring.PreferenceListFor(p, n);

        Assert.Equal(p, list.Partition);
        Assert.Equal(Math.Min(n, ring.Members.Length), list.Primaries.Length);
        Assert.Equal(ring.Owners[p], list.Primaries[0]);
        Assert.Equal(ring.Members.Select(m => m.Name).Order(StringComparer.Ordinal), list.All.Order(StringComparer.Ordinal));
        Assert.Equal(list, ring.PreferenceListFor(p, n));
        Assert.Equal(list, new RingSnapshot(ring.PartitionCount, ring.Version, ring.Owners, ring.Members).PreferenceListFor(p, n));

        var zoneOf = ring.Members.ToDictionary(m => m.Name, m => m.Zone ?? "");
        int ringZones = zoneOf.Values.Distinct().Count();
        int primaryZones = list.Primaries.Select(x => zoneOf[x]).Distinct().Count();
        Assert.Equal(Math.Min(ringZones, list.Primaries.Length), primaryZones);

        // Both lists keep ring order: the walk meets every silo in the order given.
        var walk = WalkOrder(ring, p);
        Assert.Equal(walk.Where(list.Primaries.Contains), list.Primaries);
        Assert.Equal(walk.Where(list.Fallbacks.Contains), list.Fallbacks);
    }

    private static List<string> WalkOrder(RingSnapshot ring, int p)
    {
        var walk = Enumerable.Range(0, ring.PartitionCount).Select(i => ring.Owners[(p + i) % ring.PartitionCount]).Distinct().ToList();
        walk.AddRange(ring.Members.Select(m => m.Name).Where(x => !walk.Contains(x)));
        return walk;
    }

    [Property(MaxTest = 100)]
    public void Without_zones_primaries_are_the_first_N_distinct_silos_clockwise(int seed)
    {
        var random = new Random(seed);
        var ring = RingSnapshot.Create(Silos(random.Next(1, 12)), 64).WithMembers(Silos(random.Next(1, 12)));
        int n = random.Next(1, 5), p = random.Next(64);
        var list = ring.PreferenceListFor(p, n);
        var walk = WalkOrder(ring, p);
        Assert.Equal(walk.Take(n), list.Primaries);
        Assert.Equal(walk.Skip(n), list.Fallbacks);
    }

    [Fact]
    public void With_as_many_zones_as_N_the_primaries_span_N_zones_even_past_a_closer_silo()
    {
        // a1 and a2 share zone a; walking from partition 0 meets a1, a2, b1, c1.
        SiloMember[] members = [new("a1", "a"), new("a2", "a"), new("b1", "b"), new("c1", "c")];
        var ring = new RingSnapshot(4, 1, ["a1", "a2", "b1", "c1"], members);
        var list = ring.PreferenceListFor(0, 3);
        Assert.Equal<string>(["a1", "b1", "c1"], list.Primaries);
        Assert.Equal<string>(["a2"], list.Fallbacks);
        // Two zones for N = 3: one per zone first, then the nearest remaining silo.
        var twoZones = new RingSnapshot(4, 1, ["a1", "a2", "b1", "c1"], members.Select(m => m with { Zone = m.Zone == "c" ? "b" : m.Zone }));
        Assert.Equal<string>(["a1", "a2", "b1"], twoZones.PreferenceListFor(0, 3).Primaries);
        Assert.Equal<string>(["a1", "b1"], twoZones.PreferenceListFor(0, 2).Primaries);
    }

    [Fact]
    public void Fewer_silos_than_N_puts_every_silo_in_the_primaries()
    {
        var list = RingSnapshot.Create(Silos(2), 64).PreferenceListFor(5, 3);
        Assert.Equal(2, list.Primaries.Length);
        Assert.Empty(list.Fallbacks);
    }

    [Fact]
    public void Silos_owning_no_partition_are_met_last()
    {
        var ring = RingSnapshot.Create(Silos(5), 2);
        var list = ring.PreferenceListFor(0, 3);
        Assert.Equal([ring.Owners[0], ring.Owners[1]], list.Primaries.Take(2));
        Assert.Equal(5, list.All.Distinct().Count());
    }

    [Fact]
    public void A_key_uses_the_list_of_its_partition()
    {
        var ring = RingSnapshot.Create(Silos(8, zones: 3), 256);
        var key = new DynamoKey("users", "alice");
        Assert.Equal(ring.PreferenceListFor(ring.PartitionOf(key), 3), ring.PreferenceListFor(key, 3));
    }

    [Fact]
    public void Rejects_bad_arguments()
    {
        var ring = RingSnapshot.Create(Silos(3), 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.PreferenceListFor(16, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.PreferenceListFor(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ring.PreferenceListFor(0, 0));
    }
}
