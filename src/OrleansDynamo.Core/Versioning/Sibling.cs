namespace OrleansDynamo.Core.Versioning;

/// <summary>
/// One version of a key's value: the write event that made it (its <see cref="Dot"/>), the value bytes,
/// whether it is a delete marker, the coordinator's clock at write time (ms since epoch; used by
/// last-write-wins and shown to operators, never for causality), and the content type the writer gave
/// (<see cref="ContentTypes"/>; null when it gave none, and always for a delete marker or a typed bucket's state).
/// </summary>
public sealed record Sibling(Dot Dot, byte[] Value, bool Tombstone, long TimestampMs, string? ContentType = null)
{
    public bool Equals(Sibling? other) =>
        other is not null && Dot == other.Dot && Tombstone == other.Tombstone &&
        TimestampMs == other.TimestampMs && string.Equals(ContentType, other.ContentType, StringComparison.Ordinal) &&
        Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(Dot, Tombstone, TimestampMs, Value.Length);
}
