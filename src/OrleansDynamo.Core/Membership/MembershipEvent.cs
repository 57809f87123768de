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

    /// <summary>
    /// Largest Lamport time an event may carry: far beyond any real history (one event per operator act), safe to
    /// increment, and small enough that <see cref="ClusterState.Version"/> (up to 1,024 bucket definitions counted as
    /// Lamport × 65536 + tiebreak) stays within a long.
    /// </summary>
    public const long MaxLamport = 1L << 36;

    /// <summary>Longest silo name or origin (the silo configuration allows 128 characters).</summary>
    public const int MaxNameLength = 128;

    /// <summary>Largest silo weight (the silo configuration's bound).</summary>
    public const double MaxWeight = 1000;

    /// <summary>
    /// Why this event may not enter a history, or null when it may. Checked before an event is merged, persisted or
    /// replayed (<see cref="MembershipHistory"/>): a member with a weight of NaN, for one, would make every ring
    /// computation fail on every silo that took it.
    /// </summary>
    public string? Problem()
    {
        if (Lamport is < 1 or > MaxLamport) return $"Lamport time {Lamport} is outside 1..{MaxLamport}";
        if (NameProblem(Origin, "origin") is { } origin) return origin;
        switch (Kind)
        {
            case MembershipEventKind.Join:
                if (Member is null) return "a join without its member";
                if (SiloName != Member.Name) return $"a join names silo '{SiloName}' but carries member '{Member.Name}'";
                return MemberProblem(Member);
            case MembershipEventKind.Leave or MembershipEventKind.Left:
                return NameProblem(SiloName, "silo name");
            case MembershipEventKind.Bucket:
                return Bucket is null ? "a bucket event without its bucket" : Bucket.Validate() is { } bad ? $"bucket '{Bucket.Name}': {bad}" : null;
            default:
                return $"unknown kind {(int)Kind}";
        }
    }

    private static string? MemberProblem(MemberInfo m)
    {
        if (NameProblem(m.Name, "silo name") is { } name) return name;
        if (!double.IsFinite(m.Weight) || m.Weight <= 0 || m.Weight > MaxWeight) return $"silo '{m.Name}' has weight {m.Weight}; it must be in (0, {MaxWeight}]";
        if (!IsHttpAddress(m.Address)) return $"silo '{m.Name}' has address '{m.Address}', not an http(s) address";
        if (m.HttpAddress is not null && !IsHttpAddress(m.HttpAddress)) return $"silo '{m.Name}' has HTTP address '{m.HttpAddress}', not an http(s) address";
        if (m.GatewayAddress is not null && !IsHostPort(m.GatewayAddress)) return $"silo '{m.Name}' has gateway '{m.GatewayAddress}', not host:port";
        if (m.Zone is not null && NameProblem(m.Zone, "zone") is { } zone) return $"silo '{m.Name}': {zone}";
        return null;
    }

    private static string? NameProblem(string? name, string what) =>
        string.IsNullOrEmpty(name) ? $"an empty {what}"
        : name.Length > MaxNameLength ? $"a {what} of {name.Length} characters (at most {MaxNameLength})"
        : name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? $"{what} '{name}' has spaces or control characters"
        : null;

    private static bool IsHttpAddress(string? address) =>
        address is { Length: <= 2048 } && Uri.TryCreate(address, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.UserInfo);

    private static bool IsHostPort(string address)
    {
        int colon = address.LastIndexOf(':');
        return address.Length <= 1024 && colon > 0 && int.TryParse(address.AsSpan(colon + 1), out int port) && port is >= 1 and <= 65535
            && Uri.CheckHostName(address[..colon].Trim('[', ']')) != UriHostNameType.Unknown;
    }

    /// <summary>
    /// The order in which definitions of one bucket supersede each other: the later Lamport time wins; at equal times
    /// (two silos defined the bucket concurrently) the larger <see cref="OriginTiebreak"/>, then the larger origin. The
    /// tiebreak is part of the order so that <see cref="ClusterState.Version"/>, which counts a definition as
    /// <c>Lamport × 65536 + tiebreak</c>, grows whenever a definition is replaced, ties included.
    /// </summary>
    public static int CompareDefinitions(MembershipEvent a, MembershipEvent b)
    {
        int c = a.Lamport.CompareTo(b.Lamport);
        if (c == 0) c = OriginTiebreak(a.Origin).CompareTo(OriginTiebreak(b.Origin));
        return c != 0 ? c : string.CompareOrdinal(a.Origin, b.Origin);
    }

    /// <summary>A stable 16-bit hash of an origin's name (FNV-1a over its UTF-16 code units, folded).</summary>
    public static int OriginTiebreak(string origin)
    {
        uint h = 2166136261;
        foreach (char ch in origin) h = (h ^ ch) * 16777619;
        return (int)((h >> 16) ^ (h & 0xFFFF));
    }

    public int CompareTo(MembershipEvent? other)
    {
        if (other is null) return 1;
        int c = Lamport.CompareTo(other.Lamport);
        return c != 0 ? c : string.CompareOrdinal(Origin, other.Origin);
    }

    public override string ToString() => $"{Lamport}@{Origin}:{Kind}({SiloName ?? Bucket?.Name})";
}
