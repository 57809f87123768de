using System.Buffers.Text;

namespace OrleansDynamo.Client;

/// <summary>
/// The causal context of a key as the store handed it out: an opaque base64 string. Pass the
/// context of a get back on the next put or delete of that key, so the write supersedes exactly
/// the versions that were read (Dynamo §4.4). <see cref="Empty"/> is a blind write.
/// </summary>
public readonly struct DynamoContext : IEquatable<DynamoContext>
{
    private readonly string? _value;
    private readonly string? _fastestReplica;

    private DynamoContext(string? value, string? fastestReplica = null)
    {
        _value = value;
        _fastestReplica = fastestReplica;
    }

    /// <summary>No context: a write with it is concurrent with every version already stored.</summary>
    public static DynamoContext Empty => default;

    /// <summary>True for <see cref="Empty"/>.</summary>
    public bool IsEmpty => string.IsNullOrEmpty(_value);

    /// <summary>Reads a context printed by <see cref="ToString"/> (base64); an empty string is <see cref="Empty"/>.</summary>
    /// <exception cref="FormatException">The text is not base64.</exception>
    public static DynamoContext Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var context))
            throw new FormatException("a context is the base64 text a get returned; this one is not base64");
        return context;
    }

    /// <summary>Like <see cref="Parse"/>, without throwing.</summary>
    public static bool TryParse(string? text, out DynamoContext context)
    {
        context = default;
        if (text is null) return false;
        text = text.Trim();
        if (text.Length == 0) return true;
        if (!Base64.IsValid(text)) return false;
        context = new DynamoContext(text);
        return true;
    }

    /// <summary>Wraps a context string received on the wire, unchecked.</summary>
    internal static DynamoContext FromWire(string? value) => string.IsNullOrEmpty(value) ? default : new DynamoContext(value);

    /// <summary>A get's context, remembering which replica answered that get first.</summary>
    internal static DynamoContext FromWire(string? value, string? fastestReplica) =>
        string.IsNullOrEmpty(fastestReplica) ? FromWire(value) : new DynamoContext(string.IsNullOrEmpty(value) ? null : value, fastestReplica);

    /// <summary>
    /// The silo that answered the get this context came from first, or null (not carried by <see cref="ToString"/>
    /// nor compared). With <see cref="DynamoClientOptions.PreferFastestReplicaForWrites"/> a put with this context goes there first.
    /// </summary>
    public string? FastestReplica => _fastestReplica;

    /// <summary>The base64 text, empty for <see cref="Empty"/>.</summary>
    public override string ToString() => _value ?? string.Empty;

    public bool Equals(DynamoContext other) => string.Equals(ToString(), other.ToString(), StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is DynamoContext other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToString());

    public static bool operator ==(DynamoContext left, DynamoContext right) => left.Equals(right);

    public static bool operator !=(DynamoContext left, DynamoContext right) => !left.Equals(right);
}
