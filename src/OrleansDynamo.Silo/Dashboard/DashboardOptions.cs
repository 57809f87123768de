namespace OrleansDynamo.Silo.Dashboard;

/// <summary>
/// Settings of the dashboard, the JSON API and the metrics behind them, bound from the
/// "Silo:Dashboard" section.
/// </summary>
public sealed class DashboardOptions
{
    public const string Section = "Silo:Dashboard";

    /// <summary>Seconds of request history behind /api/stats rates and percentiles. Default 60.</summary>
    public int StatsWindowSeconds { get; set; } = 60;

    /// <summary>
    /// A silo is out of balance when its request load is more than this fraction off the cluster mean
    /// (Dynamo §6.2 uses 15%). Default 0.15.
    /// </summary>
    public double OutOfBalanceThreshold { get; set; } = 0.15;

    /// <summary>
    /// Below this mean load (requests per second per silo) the dashboard calls the cluster idle rather than out of
    /// balance: a few requests a second are too few to judge. Default 5.
    /// </summary>
    public double BalanceMinLoadPerSecond { get; set; } = 5;

    /// <summary>How often a silo refreshes what its gauges report (peers' load, hints waiting, key counts). Default 2000 ms.</summary>
    public int RefreshIntervalMs { get; set; } = 2000;

    /// <summary>How long a call to a peer's HTTP API may take before the peer counts as not answering. Default 1000 ms.</summary>
    public int PeerTimeoutMs { get; set; } = 1000;

    /// <summary>Serve the Orleans dashboard (grains, activations, calls, silo CPU and memory) at /orleans/. Default true.</summary>
    public bool OrleansDashboard { get; set; } = true;

    /// <summary>How often the page in the browser reloads its data. Default 1500 ms.</summary>
    public int PageRefreshMs { get; set; } = 1500;

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (StatsWindowSeconds is < 1 or > 3600) errors.Add($"{Section}:StatsWindowSeconds must be between 1 and 3600, got {StatsWindowSeconds}");
        if (OutOfBalanceThreshold is <= 0 or >= 10 || double.IsNaN(OutOfBalanceThreshold))
            errors.Add($"{Section}:OutOfBalanceThreshold must be above 0 and below 10, got {OutOfBalanceThreshold}");
        if (BalanceMinLoadPerSecond < 0 || double.IsNaN(BalanceMinLoadPerSecond))
            errors.Add($"{Section}:BalanceMinLoadPerSecond must be 0 or more, got {BalanceMinLoadPerSecond}");
        if (RefreshIntervalMs < 100) errors.Add($"{Section}:RefreshIntervalMs must be at least 100, got {RefreshIntervalMs}");
        if (PeerTimeoutMs < 10) errors.Add($"{Section}:PeerTimeoutMs must be at least 10, got {PeerTimeoutMs}");
        if (PageRefreshMs is < 200 or > 60_000) errors.Add($"{Section}:PageRefreshMs must be between 200 and 60000, got {PageRefreshMs}");
        return errors;
    }
}
