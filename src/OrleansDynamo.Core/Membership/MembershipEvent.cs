using OrleansDynamo.Core.Buckets;

namespace OrleansDynamo.Core.Membership;

/// <summary>Kinds of membership change. Values reach disk and the wire: only append.</summary>
public enum MembershipEventKind
{
    Join = 1,
    Leave = 2,
    Left = 3,
    Bucket = 4,
}

/// <summary>
/// One operator act, stamped with a Lamport time and the silo that recorded it. The pair
/// (<see cref="Lamport"/>, <see cref="Origin"/>) is unique and totally orders events, so every silo
/// that holds the same events replays them in the same order and computes the same ring.
/// </summary>
public sealed record MembershipEvent(long Lamport, string Origin, MembershipEventKind Kind, MemberInfo? Member = null, string? SiloName = null, BucketSettings? Bucket = null)
    : IComparable<MembershipEvent>
{
    public static MembershipEvent Join(long lamport, string origin, MemberInfo member) => new(lamport, origin, MembershipEventKind.Join, Member: member, SiloName: member.Name);

    public static MembershipEvent Leave(long lamport, string origin, string silo) => new(lamport, origin, MembershipEventKind.Leave, SiloName: silo);

    public static MembershipEvent Left(long lamport, string origin, string silo) => new(lamport, origin, MembershipEventKind.Left, SiloName: silo);

    public static MembershipEvent DefineBucket(long lamport, string origin, BucketSettings bucket) => new(lamport, origin, MembershipEventKind.Bucket, Bucket: bucket);

    public (long, string) Id => (Lamport, Origin);

    public int CompareTo(MembershipEvent? other)
    {
        if (other is null) return 1;
        int c = Lamport.CompareTo(other.Lamport);
        return c != 0 ? c : string.CompareOrdinal(Origin, other.Origin);
    }

    public override string ToString() => $"{Lamport}@{Origin}:{Kind}({SiloName ?? Bucket?.Name})";
}
