namespace OrleansDynamo.Silo.Hints;

/// <summary>
/// Settings of hinted handoff (Dynamo §4.6), bound from the "Silo:Hints" section. A stand-in keeps
/// each write it took for an unreachable silo in its durable hint log; these settings say how often
/// and how hard the log is pushed back to the intended silos, and how much of it may pile up.
/// </summary>
public sealed class HintOptions
{
    public const string Section = "Silo:Hints";

    /// <summary>How often the delivery service looks for targets that are due. Default 1000 ms.</summary>
    public int DeliveryIntervalMs { get; set; } = 1000;

    /// <summary>Hints read from the log and sent in parallel as one batch. Default 100.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Hints older than this are dropped (anti-entropy repairs what they carried). Default 3 h.</summary>
    public long MaxAgeMs { get; set; } = 3 * 60 * 60 * 1000L;

    /// <summary>
    /// Hints kept per target silo; a hint over the bound is not stored but counted as dropped and left to
    /// anti-entropy, so a long-dead silo cannot fill the disk. Default 100,000.
    /// </summary>
    public long MaxHintsPerTarget { get; set; } = 100_000;

    /// <summary>Wait after the first failed delivery to a target; doubles per failure. Default 1000 ms.</summary>
    public int InitialBackoffMs { get; set; } = 1000;

    /// <summary>Longest wait between delivery attempts to one target. Default 60,000 ms.</summary>
    public int MaxBackoffMs { get; set; } = 60_000;

    /// <summary>
    /// After a hint is delivered, remove the key from this silo when it only held it as a stand-in (not a
    /// primary in the current ring), the target's stored set covers it and no newer write arrived. Default false:
    /// the stand-in keeps serving sloppy reads, and every removal of a version this silo signed moves it to a
    /// new dot epoch (Grains/DotEpoch), which adds an actor to that key's clock.
    /// </summary>
    public bool RemoveStrayData { get; set; }

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DeliveryIntervalMs < 10) errors.Add($"{Section}:DeliveryIntervalMs must be at least 10, got {DeliveryIntervalMs}");
        if (BatchSize is < 1 or > 10_000) errors.Add($"{Section}:BatchSize must be between 1 and 10000, got {BatchSize}");
        if (MaxAgeMs < 1) errors.Add($"{Section}:MaxAgeMs must be positive, got {MaxAgeMs}");
        if (MaxHintsPerTarget < 1) errors.Add($"{Section}:MaxHintsPerTarget must be positive, got {MaxHintsPerTarget}");
        if (InitialBackoffMs < 1) errors.Add($"{Section}:InitialBackoffMs must be positive, got {InitialBackoffMs}");
        if (MaxBackoffMs < InitialBackoffMs) errors.Add($"{Section}:MaxBackoffMs must be at least InitialBackoffMs ({InitialBackoffMs}), got {MaxBackoffMs}");
        return errors;
    }
}
