namespace OrleansDynamo.Core.Versioning;

/// <summary>One entry of a vector clock: a replica id, its counter, and when it last advanced (ms since epoch).</summary>
public readonly record struct ClockEntry(string Node, long Counter, long TimestampMs);

/// <summary>How two clocks relate in the causal partial order.</summary>
public enum Causality
{
    Equal = 0,
    Before = 1,
    After = 2,
    Concurrent = 3,
}

/// <summary>A single event: the <paramref name="Counter"/>-th write coordinated by <paramref name="Node"/>.</summary>
public readonly record struct Dot(string Node, long Counter)
{
    public override string ToString() => $"{Node}:{Counter}";
}
