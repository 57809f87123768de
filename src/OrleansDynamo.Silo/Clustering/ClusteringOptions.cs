using Orleans.Configuration;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Where Orleans keeps its membership and reminder tables, and how fast it declares a silo dead;
/// bound from the "Silo:Clustering" section. The failure-detection defaults suit silos on one
/// machine or one LAN (a dead silo is declared dead in a few seconds); Orleans' own defaults
/// (5 s probes, 3 misses, 30 s IAmAlive, 60 s table refresh) suit large cloud deployments.
/// See docs/clustering.md.
/// </summary>
public sealed class ClusteringOptions
{
    public const string Section = "Silo:Clustering";

    private const int MinTimeoutMs = 10;
    private const int MaxTimeoutMs = 24 * 60 * 60 * 1000;
    private const int MaxProbeTimeoutMs = 10 * 60 * 1000;
    private const int MaxCount = 1000;

    /// <summary><c>localhost</c> (default), <c>sqlite</c> or <c>redis</c>; see <see cref="ClusteringModes"/>.</summary>
    public string Mode { get; set; } = ClusteringModes.Localhost;

    /// <summary>
    /// The SQLite file holding the membership and reminder tables, shared by every silo (and client)
    /// of the cluster on this machine. Required in <c>sqlite</c> mode; its directory is created if missing.
    /// </summary>
    public string? SqlitePath { get; set; }

    /// <summary>How long a SQLite statement waits for another process's write lock before failing. Default 5,000 ms.</summary>
    public int SqliteBusyTimeoutMs { get; set; } = 5_000;

    /// <summary>
    /// A StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6379</c> or
    /// <c>redis1:6379,redis2:6379,password=...,ssl=true</c>. Required in <c>redis</c> mode.
    /// </summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// How long a silo waits for a probe reply (and how often it probes each watched silo).
    /// Orleans: <see cref="ClusterMembershipOptions.ProbeTimeout"/>. Default 1,000 ms (Orleans 5 s).
    /// </summary>
    public int ProbeTimeoutMs { get; set; } = 1_000;

    /// <summary>
    /// Missed probes in a row after which a silo votes that the probed silo is dead.
    /// Orleans: <see cref="ClusterMembershipOptions.NumMissedProbesLimit"/>. Default 2 (Orleans 3).
    /// </summary>
    public int NumMissedProbesLimit { get; set; } = 2;

    /// <summary>
    /// How many other silos each silo probes. Orleans: <see cref="ClusterMembershipOptions.NumProbedSilos"/>.
    /// Default 10 (as Orleans), i.e. everyone in a small cluster. Must be at least <see cref="NumVotesForDeathDeclaration"/>.
    /// </summary>
    public int NumProbedSilos { get; set; } = 10;

    /// <summary>
    /// Fresh votes that declare a silo dead. Orleans caps the requirement at half the active, non-stale
    /// silos rounded up, so with the default 2 a three-silo cluster needs both survivors' votes and a
    /// two-silo cluster needs one. Orleans: <see cref="ClusterMembershipOptions.NumVotesForDeathDeclaration"/>. Default 2 (as Orleans).
    /// </summary>
    public int NumVotesForDeathDeclaration { get; set; } = 2;

    /// <summary>
    /// How long a death vote counts. Orleans: <see cref="ClusterMembershipOptions.DeathVoteExpirationTimeout"/>.
    /// Default 30,000 ms (Orleans 2 min, sized for its slower probes).
    /// </summary>
    public int DeathVoteExpirationTimeoutMs { get; set; } = 30_000;

    /// <summary>
    /// How often a silo writes its IAmAlive time to the table; a silo that missed
    /// <see cref="NumMissedTableIAmAliveLimit"/> of these no longer counts as active when votes are
    /// tallied. Orleans: <see cref="ClusterMembershipOptions.IAmAliveTablePublishTimeout"/>. Default 2,000 ms (Orleans 30 s).
    /// </summary>
    public int IAmAliveTablePublishTimeoutMs { get; set; } = 2_000;

    /// <summary>
    /// IAmAlive writes a silo may miss before it counts as stale.
    /// Orleans: <see cref="ClusterMembershipOptions.NumMissedTableIAmAliveLimit"/>. Default 3 (as Orleans).
    /// </summary>
    public int NumMissedTableIAmAliveLimit { get; set; } = 3;

    /// <summary>
    /// How often a silo re-reads the whole membership table even without gossip (the safety net for a
    /// lost gossip message). Orleans: <see cref="ClusterMembershipOptions.TableRefreshTimeout"/>. Default 2,000 ms (Orleans 60 s).
    /// </summary>
    public int TableRefreshTimeoutMs { get; set; } = 2_000;

    /// <summary>
    /// How often a client re-reads the list of gateways (active silos) from the table.
    /// Orleans: <see cref="GatewayOptions.GatewayListRefreshPeriod"/>. Default 2,000 ms (Orleans 60 s).
    /// </summary>
    public int GatewayListRefreshPeriodMs { get; set; } = 2_000;

    /// <summary>Every problem with the settings, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!ClusteringModes.All.Contains(Mode))
            errors.Add($"{Section}:Mode must be one of {string.Join(", ", ClusteringModes.All.Select(m => $"'{m}'"))}, got '{Mode}'");
        if (Mode == ClusteringModes.Sqlite)
        {
            if (string.IsNullOrWhiteSpace(SqlitePath))
                errors.Add($"{Section}:SqlitePath is required when {Section}:Mode is '{ClusteringModes.Sqlite}'");
            else if (SqlitePath.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
                errors.Add($"{Section}:SqlitePath '{SqlitePath}' contains characters not allowed in a path");
        }
        if (Mode == ClusteringModes.Redis)
        {
            if (string.IsNullOrWhiteSpace(RedisConnectionString))
                errors.Add($"{Section}:RedisConnectionString is required when {Section}:Mode is '{ClusteringModes.Redis}'");
            else if (RedisConnectionParseError(RedisConnectionString) is { } parseError)
                errors.Add($"{Section}:RedisConnectionString is not a StackExchange.Redis configuration string: {parseError}");
        }
        CheckRange(errors, nameof(SqliteBusyTimeoutMs), SqliteBusyTimeoutMs, MinTimeoutMs, MaxTimeoutMs);
        CheckRange(errors, nameof(ProbeTimeoutMs), ProbeTimeoutMs, MinTimeoutMs, MaxProbeTimeoutMs);
        CheckRange(errors, nameof(NumMissedProbesLimit), NumMissedProbesLimit, 1, MaxCount);
        CheckRange(errors, nameof(NumProbedSilos), NumProbedSilos, 1, MaxCount);
        CheckRange(errors, nameof(NumVotesForDeathDeclaration), NumVotesForDeathDeclaration, 1, MaxCount);
        if (NumVotesForDeathDeclaration > NumProbedSilos && NumProbedSilos >= 1)
            errors.Add($"{Section}:NumVotesForDeathDeclaration ({NumVotesForDeathDeclaration}) must not exceed {Section}:NumProbedSilos ({NumProbedSilos}); Orleans refuses to start otherwise");
        CheckRange(errors, nameof(DeathVoteExpirationTimeoutMs), DeathVoteExpirationTimeoutMs, MinTimeoutMs, MaxTimeoutMs);
        CheckRange(errors, nameof(IAmAliveTablePublishTimeoutMs), IAmAliveTablePublishTimeoutMs, MinTimeoutMs, MaxTimeoutMs);
        CheckRange(errors, nameof(NumMissedTableIAmAliveLimit), NumMissedTableIAmAliveLimit, 1, MaxCount);
        CheckRange(errors, nameof(TableRefreshTimeoutMs), TableRefreshTimeoutMs, MinTimeoutMs, MaxTimeoutMs);
        CheckRange(errors, nameof(GatewayListRefreshPeriodMs), GatewayListRefreshPeriodMs, MinTimeoutMs, MaxTimeoutMs);
        return errors;
    }

    /// <summary>Copies the failure-detection settings onto Orleans' options.</summary>
    public void ApplyTo(ClusterMembershipOptions membership)
    {
        ArgumentNullException.ThrowIfNull(membership);
        membership.ProbeTimeout = TimeSpan.FromMilliseconds(ProbeTimeoutMs);
        membership.NumMissedProbesLimit = NumMissedProbesLimit;
        membership.NumProbedSilos = NumProbedSilos;
        membership.NumVotesForDeathDeclaration = NumVotesForDeathDeclaration;
        membership.DeathVoteExpirationTimeout = TimeSpan.FromMilliseconds(DeathVoteExpirationTimeoutMs);
        membership.IAmAliveTablePublishTimeout = TimeSpan.FromMilliseconds(IAmAliveTablePublishTimeoutMs);
        membership.NumMissedTableIAmAliveLimit = NumMissedTableIAmAliveLimit;
        membership.TableRefreshTimeout = TimeSpan.FromMilliseconds(TableRefreshTimeoutMs);
    }

    /// <summary>Copies the client's gateway refresh period onto Orleans' options.</summary>
    public void ApplyTo(GatewayOptions gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        gateway.GatewayListRefreshPeriod = TimeSpan.FromMilliseconds(GatewayListRefreshPeriodMs);
    }

    private static void CheckRange(List<string> errors, string field, int value, int min, int max)
    {
        if (value < min || value > max) errors.Add($"{Section}:{field} must be between {min} and {max}, got {value}");
    }

    private static string? RedisConnectionParseError(string connectionString)
    {
        try
        {
            var parsed = StackExchange.Redis.ConfigurationOptions.Parse(connectionString);
            return parsed.EndPoints.Count == 0 ? "it names no endpoint (host:port)" : null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }
}
