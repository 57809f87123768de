using System.Collections.Immutable;
using OrleansDynamo.Core.Ring;

namespace OrleansDynamo.Core.Tests.Ring;

/// <summary>Builders and measurements shared by the ring tests.</summary>
internal static class RingTestData
{
    public static string Name(int i) => $"silo-{i:D3}";

    public static List<SiloMember> Silos(int count, int zones = 0) =>
        Enumerable.Range(0, count).Select(i => new SiloMember(Name(i), zones > 0 ? $"zone-{i % zones}" : null)).ToList();

    /// <summary>A ring grown one join at a time, as a real cluster is.</summary>
    public static RingSnapshot Grown(int count, int q, int zones = 0)
    {
        var all = Silos(count, zones);
        var ring = RingSnapshot.Create(all.Take(1), q);
        for (int s = 2; s <= count; s++) ring = ring.WithMembers(all.Take(s));
        return ring;
    }

    public static int Moved(ImmutableArray<string> before, ImmutableArray<string> after) =>
        Enumerable.Range(0, before.Length).Count(p => before[p] != after[p]);

    /// <summary>Partitions whose next n−1 clockwise partitions repeat a silo of the window (a preference list must skip).</summary>
    public static int SpreadViolations(RingSnapshot ring, int n)
    {
        int q = ring.PartitionCount, bad = 0;
        for (int p = 0; p < q; p++)
        {
            var window = Enumerable.Range(0, Math.Min(n, q)).Select(i => ring.Owners[(p + i) % q]);
            if (window.Distinct().Count() < Math.Min(Math.Min(n, q), ring.Members.Length)) bad++;
        }
        return bad;
    }

    public static (int Min, int Max) MinMax(RingSnapshot ring)
    {
        var counts = ring.PartitionCounts().Values;
        return (counts.Min(), counts.Max());
    }

    public static int Ceil(int a, int b) => (a + b - 1) / b;
}
