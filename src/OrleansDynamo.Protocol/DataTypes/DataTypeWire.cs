using System.Collections.Immutable;
using System.Globalization;
using Google.Protobuf;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.DataTypes;

/// <summary>
/// The typed buckets' operations and values (client.proto's <c>DataTypeOp</c> and <c>DataTypeValue</c>) mapped to and
/// from the core's types: one mapping for the silo (operations in, values out) and the client SDK (the other way).
/// </summary>
public static class DataTypeWire
{
    public static DataTypeOp ToWire(DataTypeOperation operation) => operation switch
    {
        CounterIncrement c => new DataTypeOp { CounterIncrement = c.Amount },
        SetAdd a => new DataTypeOp { SetAdd = Elements(a.Elements) },
        SetRemove r => new DataTypeOp { SetRemove = Elements(r.Elements) },
        RegisterAssign r => new DataTypeOp { RegisterAssign = ByteString.CopyFrom(r.Value) },
        FlagUpdate f => new DataTypeOp { FlagEnable = f.Enable },
        MapUpdate m => new DataTypeOp { MapUpdate = ToWire(m) },
        _ => throw new ArgumentException($"unknown operation {operation.GetType().Name}", nameof(operation)),
    };

    private static SetElements Elements(ImmutableArray<string> elements)
    {
        var wire = new SetElements();
        if (!elements.IsDefault) wire.Elements.AddRange(elements);
        return wire;
    }

    private static MapUpdateOp ToWire(MapUpdate update)
    {
        var wire = new MapUpdateOp();
        if (update.Fields.IsDefault) return wire;
        foreach (var f in update.Fields)
        {
            var field = new MapFieldOp { Name = f.Field.Name, Type = DataTypeNames.Of(f.Field.Kind) };
            if (f is FieldUpdate u) field.Update = ToWire(u.Operation);
            wire.Fields.Add(field);
        }
        return wire;
    }

    /// <summary>The operation a request carries.</summary>
    /// <exception cref="DynamoException">InvalidArgument: no operation, or a map field of an unknown type.</exception>
    public static DataTypeOperation FromWire(DataTypeOp op) => op.OpCase switch
    {
        DataTypeOp.OpOneofCase.CounterIncrement => new CounterIncrement(op.CounterIncrement),
        DataTypeOp.OpOneofCase.SetAdd => new SetAdd([.. op.SetAdd.Elements]),
        DataTypeOp.OpOneofCase.SetRemove => new SetRemove([.. op.SetRemove.Elements]),
        DataTypeOp.OpOneofCase.RegisterAssign => new RegisterAssign(op.RegisterAssign.ToByteArray()),
        DataTypeOp.OpOneofCase.FlagEnable => new FlagUpdate(op.FlagEnable),
        DataTypeOp.OpOneofCase.MapUpdate => new MapUpdate([.. op.MapUpdate.Fields.Select(FromWire)]),
        _ => throw DynamoException.Invalid("the operation is empty: set one of counter_increment, set_add, set_remove, map_update, register_assign, flag_enable"),
    };

    private static MapFieldOperation FromWire(MapFieldOp field)
    {
        var kind = DataTypeNames.Parse(field.Type)
            ?? throw DynamoException.Invalid($"map field '{field.Name}' has unknown type '{field.Type}'; use counter, set, map, register or flag");
        var key = new FieldKey(field.Name, kind);
        return field.Update is null ? new FieldRemove(key) : new FieldUpdate(key, FromWire(field.Update));
    }

    /// <summary>A typed bucket's value as the client reads it (no dots, no actors: those travel in the opaque context).</summary>
    public static DataTypeValue ToWire(DataTypeState state) => state switch
    {
        PnCounter c => Counter(c.Value),
        OrSet s => Set(s.Elements),
        OrMap m => Map(m.Fields),
        _ => throw new ArgumentException($"unknown state {state.GetType().Name}", nameof(state)),
    };

    private static DataTypeValue ToWire(FieldValue field) => field switch
    {
        CounterField c => Counter(c.Value),
        SetField s => Set(s.Elements),
        MapField m => Map(m.Fields),
        RegisterField r => Register(r),
        FlagField f => new DataTypeValue { Type = "flag", Flag = f.Enabled },
        _ => throw new ArgumentException($"unknown field {field.GetType().Name}", nameof(field)),
    };

    private static DataTypeValue Counter(Int128 value) => new() { Type = "counter", Counter = value.ToString(CultureInfo.InvariantCulture) };

    private static DataTypeValue Set(ImmutableArray<string> elements)
    {
        var wire = new DataTypeValue { Type = "set" };
        wire.Elements.AddRange(elements);
        return wire;
    }

    private static DataTypeValue Map(ImmutableArray<MapEntry> fields)
    {
        var wire = new DataTypeValue { Type = "map" };
        foreach (var f in fields) wire.Fields.Add(new MapFieldValue { Name = f.Key.Name, Value = ToWire(f.Value) });
        return wire;
    }

    private static DataTypeValue Register(RegisterField register)
    {
        var wire = new DataTypeValue { Type = "register" };
        // The deterministic pick first, then the other concurrent values.
        var pick = register.Value;
        wire.RegisterValues.Add(ByteString.CopyFrom(pick));
        foreach (var v in register.Values)
        {
            if (!v.Value.AsSpan().SequenceEqual(pick)) wire.RegisterValues.Add(ByteString.CopyFrom(v.Value));
        }
        return wire;
    }
}
