using FsCheck;
using FsCheck.Fluent;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Membership;

namespace OrleansDynamo.Core.Tests.Membership;

/// <summary>Three histories of one cluster, each a random subset of one pool of events with unique ids.</summary>
public sealed record HistoryTriple(MembershipHistory A, MembershipHistory B, MembershipHistory C)
{
    public override string ToString() => $"A[{string.Join(" ", A.Events)}]\nB[{string.Join(" ", B.Events)}]\nC[{string.Join(" ", C.Events)}]";
}

public static class MembershipGenerators
{
    public const int MaxTest = 200;
    public const string Cluster = "prop";
    public const int Partitions = 32;

    private static readonly string[] Silos = ["s0", "s1", "s2", "s3", "s4", "s5"];

    public static readonly BucketSettings DefaultBucket = new(BucketSettings.DefaultName);

    private static Gen<MembershipEvent> EventGen(long lamport, string origin) => Gen.OneOf(
        from silo in Gen.Elements(Silos)
        from zone in Gen.Elements<string?>(null, null, "z1", "z2")
        from weight in Gen.Elements(1.0, 1.0, 2.0)
        select MembershipEvent.Join(lamport, origin, new MemberInfo(silo, $"http://127.0.0.1:{1000 + Array.IndexOf(Silos, silo)}", zone, weight)),
        from silo in Gen.Elements(Silos) select MembershipEvent.Leave(lamport, origin, silo),
        from silo in Gen.Elements(Silos) select MembershipEvent.Left(lamport, origin, silo),
        from name in Gen.Elements("b1", "b2")
        from n in Gen.Choose(1, 5)
        from policy in Gen.Elements(ConflictPolicy.Siblings, ConflictPolicy.LastWriteWins, ConflictPolicy.Counter, ConflictPolicy.Set, ConflictPolicy.Map)
        select MembershipEvent.DefineBucket(lamport, origin, new BucketSettings(name, n, 1, 1, policy)));

    /// <summary>A pool of events with unique (Lamport, origin) ids, joins weighted up so rings form.</summary>
    public static readonly Gen<List<MembershipEvent>> Pool =
        from count in Gen.Choose(0, 24)
        from ids in Gen.ListOf(Gen.Zip(Gen.Choose(1, 30), Gen.Elements(Silos)), count)
        from events in Gen.CollectToList(ids.Distinct(), id => EventGen(id.Item1, id.Item2))
        select events;

    private static Gen<MembershipHistory> SubsetOf(List<MembershipEvent> pool) =>
        Gen.SubListOf(pool.AsEnumerable()).Select(events => new MembershipHistory(Cluster, Partitions, DefaultBucket, events));

    public static Arbitrary<MembershipHistory> HistoryArb() =>
        Arb.From(Pool.SelectMany(p => SubsetOf(p)));

    public static Arbitrary<HistoryTriple> TripleArb() =>
        Arb.From(
            from pool in Pool
            from a in SubsetOf(pool)
            from b in SubsetOf(pool)
            from c in SubsetOf(pool)
            select new HistoryTriple(a, b, c));
}
