namespace OrleansDynamo.Core.Ring;

/// <summary>
/// A silo as the ring sees it: its unique name, an optional failure zone (rack,
/// availability zone) so replicas can be kept apart, and a relative weight so a
/// bigger machine can own a proportionally larger share of the partitions
/// (Dynamo §4.2: capacity heterogeneity).
/// </summary>
/// <param name="Name">Unique silo name; the ring orders silos by it (ordinal).</param>
/// <param name="Zone">Failure zone, or null when zones are not configured. All null zones count as one zone.</param>
/// <param name="Weight">Relative capacity, finite and above zero; 1.0 for a standard silo.</param>
public sealed record SiloMember(string Name, string? Zone = null, double Weight = 1.0);
