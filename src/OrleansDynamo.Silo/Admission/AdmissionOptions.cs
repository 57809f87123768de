namespace OrleansDynamo.Silo.Admission;

/// <summary>
/// Settings of the background admission controller (Dynamo §6.5), bound from "Silo:Admission".
/// Background work (anti-entropy, Merkle builds, hint delivery, ownership transfer) takes slots; the
/// controller watches the foreground p99 over a trailing window and halves the slots while it is over
/// <see cref="TargetP99Ms"/>, then gives them back one per adjustment while it is under.
/// </summary>
public sealed class AdmissionOptions
{
    public const string Section = "Silo:Admission";

    /// <summary>False leaves background work unlimited (no controller). Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Slots when the foreground is healthy: background units of work in flight at once. Default 4.</summary>
    public int MaxSlots { get; set; } = 4;

    /// <summary>Slots kept however slow the foreground is, so background work never stops. Default 1.</summary>
    public int MinSlots { get; set; } = 1;

    /// <summary>Foreground p99 above which background concurrency shrinks. Default 100 ms.</summary>
    public double TargetP99Ms { get; set; } = 100;

    /// <summary>The trailing window the p99 is measured over. Default 5000 ms.</summary>
    public int WindowMs { get; set; } = 5000;

    /// <summary>How often the slots are adjusted. Default 1000 ms.</summary>
    public int AdjustIntervalMs { get; set; } = 1000;

    /// <summary>Fewer foreground requests than this in the window count as an idle foreground (slots grow). Default 20.</summary>
    public int MinSamples { get; set; } = 20;

    /// <summary>Latest foreground latencies kept for the p99 (the window is cut to these). Default 4096.</summary>
    public int MaxSamples { get; set; } = 4096;

    /// <summary>
    /// Paced background work (ownership transfer) slows down while the foreground p99 over <see cref="PaceWindowMs"/>
    /// is above this multiple of the baseline p99 (measured while no transfer ran here), and never above
    /// <see cref="TargetP99Ms"/>. Default 1.5.
    /// </summary>
    public double PaceTargetFactor { get; set; } = 1.5;

    /// <summary>A pace target is never below this, so a sub-millisecond baseline does not stall transfers on noise. Default 5 ms.</summary>
    public double PaceFloorMs { get; set; } = 5;

    /// <summary>The trailing window of the p99 the pace follows (shorter than <see cref="WindowMs"/>: it reacts within seconds). Default 2000 ms.</summary>
    public int PaceWindowMs { get; set; } = 2000;

    /// <summary>The smallest share of its time paced work may run (the pace halves down to it). Default 0.05.</summary>
    public double MinPace { get; set; } = 0.05;

    /// <summary>What the pace gains at each adjustment under the target, up to 1 (full speed). Default 0.1.</summary>
    public double PaceStep { get; set; } = 0.1;

    /// <summary>
    /// The pace paced work starts at after a quiet stretch (none ran here for a whole <see cref="WindowMs"/>): a change
    /// starts slowly and grows by <see cref="PaceStep"/> while the foreground keeps its target, instead of every sender's
    /// first pages landing at full speed before the controller has measured anything. Default 0.25.
    /// </summary>
    public double StartPace { get; set; } = 0.25;

    /// <summary>Every problem, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MinSlots < 1) errors.Add($"{Section}:MinSlots must be at least 1, got {MinSlots}");
        if (MaxSlots < MinSlots || MaxSlots > 1024) errors.Add($"{Section}:MaxSlots must be between MinSlots ({MinSlots}) and 1024, got {MaxSlots}");
        if (!(TargetP99Ms > 0)) errors.Add($"{Section}:TargetP99Ms must be positive, got {TargetP99Ms}");
        if (WindowMs < 100) errors.Add($"{Section}:WindowMs must be at least 100, got {WindowMs}");
        if (AdjustIntervalMs < 10) errors.Add($"{Section}:AdjustIntervalMs must be at least 10, got {AdjustIntervalMs}");
        if (MinSamples < 1) errors.Add($"{Section}:MinSamples must be at least 1, got {MinSamples}");
        if (MaxSamples < 16 || MaxSamples > 1_000_000) errors.Add($"{Section}:MaxSamples must be between 16 and 1000000, got {MaxSamples}");
        if (!(PaceTargetFactor >= 1) || PaceTargetFactor > 100) errors.Add($"{Section}:PaceTargetFactor must be between 1 and 100, got {PaceTargetFactor}");
        if (!(PaceFloorMs > 0)) errors.Add($"{Section}:PaceFloorMs must be positive, got {PaceFloorMs}");
        if (PaceWindowMs < 100) errors.Add($"{Section}:PaceWindowMs must be at least 100, got {PaceWindowMs}");
        if (!(MinPace > 0) || MinPace > 1) errors.Add($"{Section}:MinPace must be above 0 and at most 1, got {MinPace}");
        if (!(PaceStep > 0) || PaceStep > 1) errors.Add($"{Section}:PaceStep must be above 0 and at most 1, got {PaceStep}");
        if (!(StartPace >= MinPace) || StartPace > 1) errors.Add($"{Section}:StartPace must be between MinPace ({MinPace}) and 1, got {StartPace}");
        return errors;
    }
}
