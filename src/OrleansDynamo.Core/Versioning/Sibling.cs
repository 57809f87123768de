namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// One version of a key's value: the write event that made it (its <see cref="Dot"/>), the value bytes,
/// whether it is a delete marker, and the coordinator's clock at write time (ms since epoch; used by
/// last-write-wins and shown to operators, never for causality).
/// </summary>
public sealed record Sibling(Dot Dot, byte[] Value, bool Tombstone, long TimestampMs)
{
    public bool Equals(Sibling? other) =>
        other is not null && Dot == other.Dot && Tombstone == other.Tombstone &&
        TimestampMs == other.TimestampMs && Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(Dot, Tombstone, TimestampMs, Value.Length);
}
