using System.Collections.Immutable;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// What a client sends to change a data type: an operation, never a whole value. The coordinator applies it to its own
/// replica's state under its actor (<see cref="DataTypeState.Apply"/>); removes take the context the client observed.
/// </summary>
public abstract record DataTypeOperation
{
    /// <summary>The type this operation applies to.</summary>
    public abstract DataTypeKind Kind { get; }

    /// <summary>Elements and field operations carried, at every level (bounded by <see cref="DataTypeLimits.MaxItemsPerOperation"/>).</summary>
    public abstract int Items { get; }
}

/// <summary>Adds <paramref name="Amount"/> (negative to decrement) to a counter; 0 changes nothing.</summary>
public sealed record CounterIncrement(long Amount) : DataTypeOperation
{
    public override DataTypeKind Kind => DataTypeKind.Counter;

    public override int Items => 1;

    public override string ToString() => $"increment {Amount}";
}

/// <summary>Adds elements to a set (an element already there gets a fresh dot: it survives removes that did not see this add).</summary>
public sealed record SetAdd(ImmutableArray<string> Elements) : DataTypeOperation
{
    public override DataTypeKind Kind => DataTypeKind.Set;

    public override int Items => Elements.IsDefault ? 0 : Elements.Length;

    public override string ToString() => $"add [{string.Join(",", Elements)}]";
}

/// <summary>
/// Removes elements from a set: the adds of them that the observed context saw, and only those, so an add the
/// client did not see survives (add wins). Removing an element that is not there changes nothing.
/// </summary>
public sealed record SetRemove(ImmutableArray<string> Elements) : DataTypeOperation
{
    public override DataTypeKind Kind => DataTypeKind.Set;

    public override int Items => Elements.IsDefault ? 0 : Elements.Length;

    public override string ToString() => $"remove [{string.Join(",", Elements)}]";
}

/// <summary>Sets a register (a map field) to <paramref name="Value"/>, replacing every value the coordinator has seen.</summary>
public sealed record RegisterAssign(byte[] Value) : DataTypeOperation
{
    public override DataTypeKind Kind => DataTypeKind.Register;

    public override int Items => 1;

    public bool Equals(RegisterAssign? other) => other is not null && Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode() => Value.Length;

    public override string ToString() => $"assign {Convert.ToHexString(Value)}";
}

/// <summary>Enables a flag (a map field), or disables the enables the observed context saw (enable wins over a concurrent disable).</summary>
public sealed record FlagUpdate(bool Enable) : DataTypeOperation
{
    public override DataTypeKind Kind => DataTypeKind.Flag;

    public override int Items => 1;

    public override string ToString() => Enable ? "enable" : "disable";
}

/// <summary>Updates a map: field operations applied in order, all or none.</summary>
public sealed record MapUpdate(ImmutableArray<MapFieldOperation> Fields) : DataTypeOperation
{
    public override DataTypeKind Kind => DataTypeKind.Map;

    public override int Items => Fields.IsDefault ? 0 : Fields.Sum(f => f.Items);

    public override string ToString() => $"update {{{string.Join("; ", Fields)}}}";
}

/// <summary>One step of a <see cref="MapUpdate"/>.</summary>
public abstract record MapFieldOperation(FieldKey Field)
{
    public abstract int Items { get; }
}

/// <summary>
/// Applies <paramref name="Operation"/> to field <paramref name="Field"/>, creating it if absent. The operation's type
/// must be the field's type (a field never changes type).
/// </summary>
public sealed record FieldUpdate(FieldKey Field, DataTypeOperation Operation) : MapFieldOperation(Field)
{
    public override int Items => 1 + Operation.Items;

    public override string ToString() => $"{Field} {Operation}";
}

/// <summary>Removes a field: everything in it that the observed context saw. An update the client did not see keeps it.</summary>
public sealed record FieldRemove(FieldKey Field) : MapFieldOperation(Field)
{
    public override int Items => 1;

    public override string ToString() => $"remove {Field}";
}
