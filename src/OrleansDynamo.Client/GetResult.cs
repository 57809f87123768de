using System.Text;

namespace OrleansDynamo.Client;

/// <summary>One version of a value: several come back when writes were concurrent (siblings).</summary>
public readonly struct SiblingValue
{
    public SiblingValue(ReadOnlyMemory<byte> value, bool deleted, long timestampMs)
        : this(value, deleted, timestampMs, null)
    {
    }

    public SiblingValue(ReadOnlyMemory<byte> value, bool deleted, long timestampMs, string? contentType)
    {
        Value = value;
        Deleted = deleted;
        TimestampMs = timestampMs;
        ContentType = contentType;
    }

    /// <summary>The stored bytes (empty for a tombstone).</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>True when this version is a delete.</summary>
    public bool Deleted { get; }

    /// <summary>When the coordinator wrote this version, in Unix milliseconds.</summary>
    public long TimestampMs { get; }

    /// <summary>The content type its writer gave (<see cref="PutOptions.ContentType"/>, REST's <c>Content-Type</c>); null when none.</summary>
    public string? ContentType { get; }

    /// <summary>The value decoded as UTF-8.</summary>
    public string ValueAsString => Encoding.UTF8.GetString(Value.Span);

    public override string ToString() => Deleted ? "<deleted>" : ValueAsString;
}

/// <summary>The answer to a get.</summary>
public sealed class GetResult
{
    internal static readonly SiblingValue[] NoSiblings = [];

    public GetResult(bool found, IReadOnlyList<SiblingValue> siblings, DynamoContext context, int replicasAnswered, string coordinator)
    {
        Found = found;
        Siblings = siblings;
        Context = context;
        ReplicasAnswered = replicasAnswered;
        Coordinator = coordinator;
    }

    /// <summary>False when no replica that answered holds a live version of the key.</summary>
    public bool Found { get; }

    /// <summary>Every causally unrelated version; more than one means concurrent writes to reconcile.</summary>
    public IReadOnlyList<SiblingValue> Siblings { get; }

    /// <summary>Pass this to the next put or delete of the key; it covers every sibling returned.</summary>
    public DynamoContext Context { get; }

    /// <summary>How many replicas answered before the coordinator replied.</summary>
    public int ReplicasAnswered { get; }

    /// <summary>The name of the silo that coordinated the get; empty when the client did (<see cref="CoordinationMode.ClientReads"/>).</summary>
    public string Coordinator { get; }

    /// <summary>True when there are concurrent versions to reconcile.</summary>
    public bool HasSiblings => Siblings.Count > 1;
}
