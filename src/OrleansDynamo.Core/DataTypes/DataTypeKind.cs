namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// The convergent data types. The values reach disk and the wire (a state's kind byte, a map field's type), so they
/// are written out and only ever appended. Counter, set and map are a typed bucket's value; all five are map fields.
/// </summary>
public enum DataTypeKind : byte
{
    Counter = 1,
    Set = 2,
    Map = 3,
    Register = 4,
    Flag = 5,
}

/// <summary>
/// A map field's identity: its name and its type, as in Riak's maps. A field's type never changes: the same name with
/// another type is another field, so two replicas that create "x" as a counter and "x" as a set keep both.
/// </summary>
public readonly record struct FieldKey(string Name, DataTypeKind Kind) : IComparable<FieldKey>
{
    /// <summary>Name (ordinal), then type: the order fields are kept and encoded in.</summary>
    public int CompareTo(FieldKey other)
    {
        int c = string.CompareOrdinal(Name, other.Name);
        return c != 0 ? c : Kind.CompareTo(other.Kind);
    }

    public override string ToString() => $"'{Name}'({DataTypeNames.Of(Kind)})";
}

/// <summary>The names of the types, as clients and messages spell them.</summary>
public static class DataTypeNames
{
    public static string Of(DataTypeKind kind) => kind switch
    {
        DataTypeKind.Counter => "counter",
        DataTypeKind.Set => "set",
        DataTypeKind.Map => "map",
        DataTypeKind.Register => "register",
        DataTypeKind.Flag => "flag",
        _ => $"unknown type {(int)kind}",
    };

    /// <summary>The kind named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static DataTypeKind? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "counter" => DataTypeKind.Counter,
        "set" => DataTypeKind.Set,
        "map" => DataTypeKind.Map,
        "register" => DataTypeKind.Register,
        "flag" => DataTypeKind.Flag,
        _ => null,
    };

    /// <summary>True for the kinds a typed bucket's value may have (registers and flags live only in maps).</summary>
    public static bool IsTopLevel(DataTypeKind kind) => kind is DataTypeKind.Counter or DataTypeKind.Set or DataTypeKind.Map;

    public static bool IsDefined(DataTypeKind kind) => kind is >= DataTypeKind.Counter and <= DataTypeKind.Flag;
}
