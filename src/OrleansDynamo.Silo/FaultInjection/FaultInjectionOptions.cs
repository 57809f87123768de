namespace OrleansDynamo.Silo.FaultInjection;

/// <summary>
/// Planted bugs, bound from "Silo:FaultInjection": a fault-injection hook for the real-process fault tier
/// (test/OrleansDynamo.Faults), which shows that its checkers catch each bug (docs/reliability.md). Off by default;
/// never set it on a silo that holds data you care about.
/// </summary>
public sealed class FaultInjectionOptions
{
    public const string Section = "Silo:FaultInjection";

    /// <summary>No planted bug (the default).</summary>
    public const string None = "";

    /// <summary>Every store write is acknowledged at once and committed <see cref="AckBeforeWriteDelayMs"/> later (a write-behind cache).</summary>
    public const string AckBeforeWrite = "ack-before-write";

    /// <summary>A write that leaves only tombstones removes the key instead (a delete that skips its tombstone).</summary>
    public const string SkipTombstones = "skip-tombstones";

    /// <summary>A get never sends the reconciled versions to stale replicas.</summary>
    public const string NoReadRepair = "no-read-repair";

    public static readonly IReadOnlyList<string> Plants = [AckBeforeWrite, SkipTombstones, NoReadRepair];

    /// <summary>The planted bug: empty (none), ack-before-write, skip-tombstones or no-read-repair.</summary>
    public string Plant { get; set; } = None;

    /// <summary>How long ack-before-write holds a write back before it commits. Default 3000 ms.</summary>
    public int AckBeforeWriteDelayMs { get; set; } = 3000;

    public bool ReadRepair => Plant != NoReadRepair;

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Plant != None && !Plants.Contains(Plant))
            errors.Add($"{Section}:Plant must be empty or one of {string.Join(", ", Plants)}, got '{Plant}'");
        if (AckBeforeWriteDelayMs < 0) errors.Add($"{Section}:AckBeforeWriteDelayMs must not be negative, got {AckBeforeWriteDelayMs}");
        return errors;
    }
}
