namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// The values of <see cref="ClusteringOptions.Mode"/>: where Orleans keeps its membership table
/// (which silos exist, their addresses and liveness) and the reminder table.
/// </summary>
public static class ClusteringModes
{
    /// <summary>
    /// Orleans' development clustering: the table lives in memory on one primary silo and reminders
    /// in one in-memory grain. One silo on one machine; nothing survives the primary silo.
    /// </summary>
    public const string Localhost = "localhost";

    /// <summary>
    /// Membership and reminder tables in one shared SQLite file: several silo processes on one
    /// machine, any of which may die and come back.
    /// </summary>
    public const string Sqlite = "sqlite";

    /// <summary>Membership and reminder tables in Redis (Microsoft.Orleans.Clustering.Redis): silos on several machines.</summary>
    public const string Redis = "redis";

    /// <summary>Every mode, in the order the documentation lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Localhost, Sqlite, Redis];
}
