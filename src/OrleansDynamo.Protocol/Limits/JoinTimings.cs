namespace OrleansDynamo.Protocol.Limits;

/// <summary>What a joining silo and the callers of its `join` agree on about time.</summary>
public static class JoinTimings
{
    /// <summary>
    /// How long a joining silo keeps trying to reach its seed before it fails the join: a silo that has just started
    /// knows the seed's address only once it has gossiped with the members Orleans lists.
    /// </summary>
    public static readonly TimeSpan SeedPatience = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The least time a caller gives a join (the SDK, whatever its request timeout): the seed's patience and the join
    /// itself, so that a seed that stays unreachable fails the join with the silo's own answer, not the caller's deadline.
    /// </summary>
    public static readonly TimeSpan CallTimeout = SeedPatience + TimeSpan.FromSeconds(5);
}
