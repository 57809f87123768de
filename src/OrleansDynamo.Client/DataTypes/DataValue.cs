using System.Collections.Immutable;
using System.Globalization;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client.DataTypes;

/// <summary>
/// A typed bucket's value, or a map field's, as a client reads it: <see cref="Kind"/> says which properties hold it.
/// </summary>
public sealed class DataValue
{
    private DataValue(DataTypeKind kind)
    {
        Kind = kind;
    }

    public DataTypeKind Kind { get; }

    /// <summary>A counter's value, exact.</summary>
    public Int128 Counter { get; private init; }

    /// <summary>A set's members, ascending (ordinal).</summary>
    public ImmutableArray<string> Elements { get; private init; } = [];

    /// <summary>A map's fields, by name and type, ascending.</summary>
    public ImmutableSortedDictionary<FieldKey, DataValue> Fields { get; private init; } = ImmutableSortedDictionary<FieldKey, DataValue>.Empty;

    /// <summary>A register's values: more than one after concurrent assignments; the first is the same pick on every replica.</summary>
    public ImmutableArray<byte[]> Registers { get; private init; } = [];

    /// <summary>A register's value (the deterministic pick of concurrent ones), or null.</summary>
    public byte[]? Register => Registers.IsEmpty ? null : Registers[0];

    /// <summary>A flag's state.</summary>
    public bool Flag { get; private init; }

    /// <summary>False for a set without members and a map without fields (a key a get reports as not found).</summary>
    public bool HasContent => Kind switch
    {
        DataTypeKind.Set => !Elements.IsEmpty,
        DataTypeKind.Map => !Fields.IsEmpty,
        _ => true,
    };

    /// <summary>The field <paramref name="name"/> of type <paramref name="kind"/>, or null.</summary>
    public DataValue? Field(string name, DataTypeKind kind) => Fields.GetValueOrDefault(new FieldKey(name, kind));

    internal static DataValue FromWire(DataTypeValue? wire)
    {
        if (wire is null) return new DataValue(DataTypeKind.Counter);
        var kind = DataTypeNames.Parse(wire.Type) ?? throw new DynamoException(DynamoErrorKind.Internal, $"the silo answered a value of unknown type '{wire.Type}'");
        return new DataValue(kind)
        {
            Counter = wire.Counter.Length == 0 ? 0 : Int128.Parse(wire.Counter, CultureInfo.InvariantCulture),
            Elements = [.. wire.Elements],
            Fields = wire.Fields.ToImmutableSortedDictionary(f => new FieldKey(f.Name, DataTypeNames.Parse(f.Value?.Type) ?? DataTypeKind.Register), f => FromWire(f.Value)),
            Registers = [.. wire.RegisterValues.Select(v => v.ToByteArray())],
            Flag = wire.Flag,
        };
    }

    public override string ToString() => Kind switch
    {
        DataTypeKind.Counter => Counter.ToString(CultureInfo.InvariantCulture),
        DataTypeKind.Set => "[" + string.Join(", ", Elements) + "]",
        DataTypeKind.Flag => Flag ? "on" : "off",
        DataTypeKind.Register => string.Join(" | ", Registers.Select(r => System.Text.Encoding.UTF8.GetString(r))),
        _ => "{" + string.Join(", ", Fields.Select(f => $"{f.Key.Name}({DataTypeNames.Of(f.Key.Kind)}): {f.Value}")) + "}",
    };
}

/// <summary>
/// The answer to a typed read or update: whether the key holds a value, the value, and the context to send back with a
/// remove (it names what the client saw, so a remove never drops an add it did not see).
/// </summary>
public sealed record DataTypeResult(bool Found, DataValue Value, DynamoContext Context, string Coordinator, int Replicas)
{
    /// <summary>A counter's value (0 when absent).</summary>
    public Int128 Counter => Value.Counter;

    /// <summary>A set's members.</summary>
    public ImmutableArray<string> Members => Value.Elements;
}
