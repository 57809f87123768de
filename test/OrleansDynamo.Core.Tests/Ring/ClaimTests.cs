using FsCheck.Xunit;
using OrleansDynamo.Core.Ring;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Core.Tests.Ring.RingTestData;

namespace OrleansDynamo.Core.Tests.Ring;

public sealed class ClaimTests(ITestOutputHelper output)
{
    private static void AssertBalanced(RingSnapshot ring)
    {
        int q = ring.PartitionCount, s = ring.Members.Length;
        Assert.All(ring.PartitionCounts(), kv => Assert.InRange(kv.Value, q / s, Ceil(q, s)));
    }

    [Fact]
    public void Created_rings_are_balanced_for_every_S_from_1_to_64()
    {
        for (int s = 1; s <= 64; s++) AssertBalanced(RingSnapshot.Create(Silos(s), 1024));
    }

    [Fact]
    public void Growing_one_join_at_a_time_stays_balanced_and_moves_about_Q_over_S()
    {
        const int q = 1024;
        var ring = RingSnapshot.Create(Silos(1), q);
        int worst = int.MinValue;
        for (int s = 1; s < 64; s++)
        {
            var next = ring.WithMembers(Silos(s + 1));
            int moved = Moved(ring.Owners, next.Owners);
            worst = Math.Max(worst, moved - Ceil(q, s + 1));
            Assert.True(moved <= Ceil(q, s + 1) + 2, $"{s}→{s + 1}: moved {moved}, ideal {Ceil(q, s + 1)}");
            Assert.All(Enumerable.Range(0, q).Where(p => ring.Owners[p] != next.Owners[p]), p => Assert.Equal(Name(s), next.Owners[p]));
            AssertBalanced(next);
            ring = next;
        }
        output.WriteLine($"worst join movement over ceil(Q/(S+1)): {worst}");
    }

    [Fact]
    public void A_leave_moves_only_the_leavers_partitions()
    {
        const int q = 1024;
        for (int s = 2; s <= 64; s++)
        {
            var ring = RingSnapshot.Create(Silos(s), q);
            foreach (int leaver in new[] { 0, s / 2, s - 1 })
            {
                var next = ring.WithMembers(Silos(s).Where(m => m.Name != Name(leaver)));
                var moved = Enumerable.Range(0, q).Where(p => ring.Owners[p] != next.Owners[p]).ToList();
                Assert.True(moved.Count <= ring.PartitionCounts()[Name(leaver)] + 2, $"S={s}, leaver {leaver}: moved {moved.Count}");
                Assert.All(moved, p => Assert.Equal(Name(leaver), ring.Owners[p]));
                AssertBalanced(next);
            }
        }
    }

    /// <summary>
    /// Random joins, leaves and weight changes: shares stay exact and nothing moves that need not —
    /// only orphans and the surplus of shrinking silos; a silo that does not shrink loses nothing.
    /// </summary>
    [Property(MaxTest = 25)]
    public void Membership_changes_keep_exact_shares_and_move_the_minimum(int seed)
    {
        var random = new Random(seed);
        int q = 1 << random.Next(3, 11);
        var members = Enumerable.Range(0, random.Next(1, 12)).Select(i => RandomMember(random, i)).ToList();
        int nextId = members.Count;
        var ring = RingSnapshot.Create(members, q);
        for (int step = 0; step < 8; step++)
        {
            int action = random.Next(3);
            if (action == 0 || members.Count == 1) members.Add(RandomMember(random, nextId++));
            else if (action == 1) members.RemoveAt(random.Next(members.Count));
            else { int i = random.Next(members.Count); members[i] = members[i] with { Weight = random.Next(1, 5) }; }

            var next = ring.WithMembers(members);
            AssertWeightedShares(next);
            var before = ring.PartitionCounts();
            var after = next.PartitionCounts();
            int orphans = ring.Owners.Count(o => !after.ContainsKey(o));
            int surplus = after.Sum(kv => Math.Max(0, before.GetValueOrDefault(kv.Key) - kv.Value));
            Assert.Equal(orphans + surplus, Moved(ring.Owners, next.Owners));
            for (int p = 0; p < q; p++)
            {
                string old = ring.Owners[p];
                if (after.TryGetValue(old, out int c) && c >= before[old]) Assert.Equal(old, next.Owners[p]);
            }
            ring = next;
        }
    }

    private static SiloMember RandomMember(Random random, int id) =>
        new(Name(id), random.Next(2) == 0 ? null : $"zone-{random.Next(3)}", random.Next(4) == 0 ? random.Next(1, 5) : 1.0);

    private static void AssertWeightedShares(RingSnapshot ring)
    {
        double total = ring.Members.Sum(m => m.Weight);
        var counts = ring.PartitionCounts();
        Assert.Equal(ring.PartitionCount, counts.Values.Sum());
        foreach (var m in ring.Members)
        {
            double exact = ring.PartitionCount * m.Weight / total;
            Assert.True(Math.Abs(counts[m.Name] - exact) < 1, $"{m.Name} (weight {m.Weight}) owns {counts[m.Name]}, exact share {exact:F2}");
        }
    }

    [Property(MaxTest = 60)]
    public void Weights_give_proportional_shares(int seed)
    {
        var random = new Random(seed);
        var members = Enumerable.Range(0, random.Next(1, 20))
            .Select(i => new SiloMember(Name(i), Weight: random.Next(1, 9) * 0.5)).ToList();
        AssertWeightedShares(RingSnapshot.Create(members, 1 << random.Next(0, 11)));
    }

    [Fact]
    public void A_double_weight_silo_owns_twice_as_much()
    {
        var ring = RingSnapshot.Create([new SiloMember("a"), new SiloMember("b"), new SiloMember("big", Weight: 2)], 1024);
        Assert.Equal(512, ring.PartitionCounts()["big"]);
        Assert.Equal(256, ring.PartitionCounts()["a"]);
    }

    [Property(MaxTest = 30)]
    public void Claim_is_deterministic_and_ignores_member_order(int seed)
    {
        var random = new Random(seed);
        var members = Enumerable.Range(0, random.Next(1, 16)).Select(i => RandomMember(random, i)).ToList();
        var shuffled = members.OrderBy(_ => random.Next()).ToList();
        var a = Claim.Compute(null, members, 256);
        Assert.Equal<string>(a, Claim.Compute(null, shuffled, 256));
        members.RemoveAt(0);
        members.Add(RandomMember(random, 99));
        Assert.Equal<string>(Claim.Compute(a, members, 256), Claim.Compute(a, members.OrderBy(_ => random.Next()).ToList(), 256));
    }

    [Fact]
    public void Created_rings_put_the_next_two_partitions_on_other_silos()
    {
        for (int s = 4; s <= 64; s++) Assert.Equal(0, SpreadViolations(RingSnapshot.Create(Silos(s), 1024), 3));
    }

    [Theory]
    [InlineData(6, 3)]
    [InlineData(9, 3)]
    [InlineData(8, 4)]
    [InlineData(12, 3)]
    public void Created_rings_alternate_zones_between_neighbouring_partitions(int silos, int zones)
    {
        var ring = RingSnapshot.Create(Silos(silos, zones), 1024);
        int bad = Enumerable.Range(0, 1024).Count(p =>
            Enumerable.Range(0, 3).Select(i => ring.FindMember(ring.Owners[(p + i) % 1024])!.Zone).Distinct().Count() < 3);
        output.WriteLine($"{silos} silos in {zones} zones: {bad} windows of 3 partitions repeat a zone");
        // When Q is no multiple of the zone count, no cyclic layout can avoid a repeat at the
        // wrap-around; anything beyond that would be a real defect.
        Assert.True(bad <= (1024 % zones == 0 ? 0 : 2), $"{bad} windows repeat a zone");
    }
}
