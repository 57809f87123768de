namespace OrleansDynamo.Silo.Transfer;

/// <summary>
/// Settings of ownership transfer (partitions streamed to their new owners after a join or leave),
/// bound from the "Silo:Transfer" section.
/// </summary>
public sealed class TransferOptions
{
    public const string Section = "Silo:Transfer";

    /// <summary>How often a silo looks for partitions it holds but no longer owns. Default 1000 ms.</summary>
    public int IntervalMs { get; set; } = 1000;

    /// <summary>Keys read and sent per page (one batch per new owner). Default 200.</summary>
    public int PageSize { get; set; } = 200;

    /// <summary>Upper bound on keys sent per second by this silo, over all transfers. Default 5000.</summary>
    public int KeysPerSecond { get; set; } = 5000;

    /// <summary>Writes to a partition remembered while its last pass and drop run; more aborts the drop until the next pass. Default 10,000.</summary>
    public int MaxLateWrites { get; set; } = 10_000;

    /// <summary>
    /// While a partition's inbound transfer is not complete, the new owner also reads each key it is asked
    /// for from the old owners and answers the merge (read-through). Default true.
    /// </summary>
    public bool ReadThrough { get; set; } = true;

    /// <summary>Timeout of one read-through call to an old owner; 0: half of Silo:ReplicaTimeoutMs. Default 0.</summary>
    public int ReadThroughTimeoutMs { get; set; }

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (IntervalMs < 10) errors.Add($"{Section}:IntervalMs must be at least 10, got {IntervalMs}");
        if (PageSize < 1 || PageSize > 10_000) errors.Add($"{Section}:PageSize must be between 1 and 10000, got {PageSize}");
        if (KeysPerSecond < 1) errors.Add($"{Section}:KeysPerSecond must be positive, got {KeysPerSecond}");
        if (ReadThroughTimeoutMs < 0) errors.Add($"{Section}:ReadThroughTimeoutMs must not be negative, got {ReadThroughTimeoutMs}");
        if (MaxLateWrites < 1) errors.Add($"{Section}:MaxLateWrites must be positive, got {MaxLateWrites}");
        return errors;
    }
}
