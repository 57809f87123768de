namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// Thrown when a clock entry or a dot would hold a counter above <see cref="VectorClock.MaxCounter"/>: a write
/// that would need one is refused before it makes a version, so no stored version can ever become undecodable.
/// </summary>
public sealed class VersionCounterOverflowException(string node, long counter)
    : InvalidOperationException($"the version counter of '{node}' would be {counter}, above the maximum {VectorClock.MaxCounter}")
{
    public string Node { get; } = node;

    public long Counter { get; } = counter;
}
