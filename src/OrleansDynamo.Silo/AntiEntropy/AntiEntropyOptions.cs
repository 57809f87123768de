namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>
/// Settings of anti-entropy (Dynamo §4.7), bound from "Silo:AntiEntropy": how often each partition
/// replica compares its Merkle tree with a peer, how fast trees are rebuilt after a restart, how
/// large the repair messages get, and when tombstones may be removed.
/// </summary>
public sealed class AntiEntropyOptions
{
    public const string Section = "Silo:AntiEntropy";

    /// <summary>False: no trees, no exchanges (peers asking get "not ready"). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two exchanges of one partition replica (its reminder). Default 180,000 ms (3 min).</summary>
    public int ExchangeIntervalMs { get; set; } = 180_000;

    /// <summary>After an exchange that could not run (peer unreachable or still building), retry this soon. Default 10,000 ms.</summary>
    public int RetryIntervalMs { get; set; } = 10_000;

    /// <summary>How often the scheduler looks for partitions whose exchange is due. Default 1000 ms.</summary>
    public int TickIntervalMs { get; set; } = 1000;

    /// <summary>Exchanges this silo starts at once (each also takes admission slots per step). Default 2.</summary>
    public int MaxConcurrentExchanges { get; set; } = 2;

    /// <summary>Rate limit of a tree build after a restart: keys scanned per second, per build. Default 10,000.</summary>
    public int BuildKeysPerSecond { get; set; } = 10_000;

    /// <summary>
    /// A tree built (or restored from the snapshot of a graceful stop) longer ago than this is built again from the store
    /// before its next exchange, so a value damaged at rest is found by a scan even on a silo that only restarts
    /// gracefully. Default 604,800,000 (7 days).
    /// </summary>
    public long TreeMaxAgeMs { get; set; } = 7L * 24 * 3600 * 1000;

    /// <summary>Keys read per page of a tree build (one admission slot per page). Default 500.</summary>
    public int BuildPageSize { get; set; } = 500;

    /// <summary>Children per interior node of the Merkle trees; every silo must use the same shape. Default 16.</summary>
    public int TreeFanOut { get; set; } = 16;

    /// <summary>Levels below the root (FanOut^Depth leaf segments); every silo must use the same shape. Default 3.</summary>
    public int TreeDepth { get; set; } = 3;

    /// <summary>Differing segments whose key lists are asked for in one message. Default 256.</summary>
    public int MaxSegmentsPerRequest { get; set; } = 256;

    /// <summary>Differing keys repaired in one message. Default 100.</summary>
    public int MaxKeysPerRepair { get; set; } = 100;

    /// <summary>
    /// A replica serving another silo's exchange refuses other exchanges of the same tree until this long after
    /// that silo's last request, so two exchanges never repair the same differences at once. Default 1000 ms.
    /// </summary>
    public int ExchangeLeaseMs { get; set; } = 1000;

    /// <summary>How long one silo-to-silo anti-entropy call may take. Default 10,000 ms.</summary>
    public int CallTimeoutMs { get; set; } = 10_000;

    /// <summary>Remove tombstones that every replica holds and whose grace period passed. Default true.</summary>
    public bool TombstoneGc { get; set; } = true;

    /// <summary>
    /// A tombstone is removed no sooner than this after its timestamp (and only once every replica in the
    /// preference list holds it), so late hints and read repairs cannot bring the key back. Default 3,600,000 ms (1 h).
    /// </summary>
    public long TombstoneGraceMs { get; set; } = 3_600_000;

    /// <summary>Tombstones checked and removed per exchange. Default 500.</summary>
    public int MaxTombstonesPerGc { get; set; } = 500;

    /// <summary>How long `dynamo repair` waits for its exchanges before answering (they go on after). Default 4000 ms.</summary>
    public int RepairWaitMs { get; set; } = 4000;

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ExchangeIntervalMs < 100) errors.Add($"{Section}:ExchangeIntervalMs must be at least 100, got {ExchangeIntervalMs}");
        if (RetryIntervalMs < 100) errors.Add($"{Section}:RetryIntervalMs must be at least 100, got {RetryIntervalMs}");
        if (TickIntervalMs < 10) errors.Add($"{Section}:TickIntervalMs must be at least 10, got {TickIntervalMs}");
        if (MaxConcurrentExchanges is < 1 or > 256) errors.Add($"{Section}:MaxConcurrentExchanges must be between 1 and 256, got {MaxConcurrentExchanges}");
        if (BuildKeysPerSecond < 1) errors.Add($"{Section}:BuildKeysPerSecond must be positive, got {BuildKeysPerSecond}");
        if (TreeMaxAgeMs < 1) errors.Add($"{Section}:TreeMaxAgeMs must be positive, got {TreeMaxAgeMs}");
        if (BuildPageSize is < 1 or > 100_000) errors.Add($"{Section}:BuildPageSize must be between 1 and 100000, got {BuildPageSize}");
        try
        {
            _ = new Core.AntiEntropy.MerkleShape(TreeFanOut, TreeDepth);
        }
        catch (ArgumentOutOfRangeException e)
        {
            errors.Add($"{Section}:TreeFanOut/TreeDepth ({TreeFanOut}^{TreeDepth}) is not a valid tree shape: {e.Message.Split('\n')[0]}");
        }
        if (MaxSegmentsPerRequest is < 1 or > 65_536) errors.Add($"{Section}:MaxSegmentsPerRequest must be between 1 and 65536, got {MaxSegmentsPerRequest}");
        if (MaxKeysPerRepair is < 1 or > 10_000) errors.Add($"{Section}:MaxKeysPerRepair must be between 1 and 10000, got {MaxKeysPerRepair}");
        if (ExchangeLeaseMs < 1) errors.Add($"{Section}:ExchangeLeaseMs must be positive, got {ExchangeLeaseMs}");
        if (CallTimeoutMs < 1) errors.Add($"{Section}:CallTimeoutMs must be positive, got {CallTimeoutMs}");
        if (TombstoneGraceMs < 0) errors.Add($"{Section}:TombstoneGraceMs must not be negative, got {TombstoneGraceMs}");
        if (MaxTombstonesPerGc is < 1 or > 100_000) errors.Add($"{Section}:MaxTombstonesPerGc must be between 1 and 100000, got {MaxTombstonesPerGc}");
        if (RepairWaitMs < 0) errors.Add($"{Section}:RepairWaitMs must not be negative, got {RepairWaitMs}");
        return errors;
    }

    public Core.AntiEntropy.MerkleShape Shape => new(TreeFanOut, TreeDepth);
}
