using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// The binary form of a client's operation as it crosses between silos (a forwarded update). Format byte 1, then:
/// <code>
/// op       := byte kind body(kind)
///   counter  := varint amount
///   set      := byte (1 add | 2 remove) varuint n string*n
///   register := bytes value
///   flag     := byte (0 disable | 1 enable)
///   map      := varuint n (byte (1 update | 2 remove) string name byte kind [op])*n     op only for an update
/// </code>
/// Bounded as operations are (<see cref="DataTypeLimits"/>): items, element and name sizes, nesting.
/// </summary>
public static class DataTypeOperationCodec
{
    public const byte FormatV1 = 1;

    public static byte[] Encode(DataTypeOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var w = new FormatWriter(32);
        w.Byte(FormatV1);
        Write(w, operation);
        return w.ToArray();
    }

    private static void Write(FormatWriter w, DataTypeOperation operation)
    {
        w.Byte((byte)operation.Kind);
        switch (operation)
        {
            case CounterIncrement c:
                w.VarInt(c.Amount);
                break;
            case SetAdd or SetRemove:
                var elements = operation is SetAdd a ? a.Elements : ((SetRemove)operation).Elements;
                w.Byte(operation is SetAdd ? (byte)1 : (byte)2);
                w.VarUInt((ulong)(elements.IsDefault ? 0 : elements.Length));
                if (!elements.IsDefault) foreach (var e in elements) w.String(e);
                break;
            case RegisterAssign r:
                w.Bytes(r.Value);
                break;
            case FlagUpdate f:
                w.Byte(f.Enable ? (byte)1 : (byte)0);
                break;
            case MapUpdate m:
                w.VarUInt((ulong)(m.Fields.IsDefault ? 0 : m.Fields.Length));
                if (m.Fields.IsDefault) break;
                foreach (var f in m.Fields)
                {
                    w.Byte(f is FieldUpdate ? (byte)1 : (byte)2);
                    w.String(f.Field.Name);
                    w.Byte((byte)f.Field.Kind);
                    if (f is FieldUpdate u) Write(w, u.Operation);
                }
                break;
            default:
                throw new ArgumentException($"unknown operation {operation.GetType().Name}", nameof(operation));
        }
    }

    /// <exception cref="VersionFormatException">The bytes are not an operation.</exception>
    public static DataTypeOperation Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new FormatReader(bytes, "the operation");
        if (r.AtEnd || r.Byte() != FormatV1) throw r.Fail("has an unknown format");
        var op = Read(ref r, 1);
        r.End();
        return op;
    }

    private static DataTypeOperation Read(ref FormatReader r, int depth)
    {
        var kind = (DataTypeKind)r.Byte();
        switch (kind)
        {
            case DataTypeKind.Counter:
                return new CounterIncrement(r.VarInt());
            case DataTypeKind.Set:
                byte which = r.Byte();
                if (which is not (1 or 2)) throw r.Fail($"has an unknown set operation {which}");
                int n = r.Count(DataTypeLimits.MaxItemsPerOperation, 1, "elements");
                var elements = ImmutableArray.CreateBuilder<string>(n);
                for (int i = 0; i < n; i++) elements.Add(r.String(DataTypeLimits.MaxElementBytes));
                return which == 1 ? new SetAdd(elements.MoveToImmutable()) : new SetRemove(elements.MoveToImmutable());
            case DataTypeKind.Register:
                return new RegisterAssign(r.Bytes(DataTypeLimits.MaxRegisterBytes));
            case DataTypeKind.Flag:
                byte flag = r.Byte();
                if (flag > 1) throw r.Fail($"has an unknown flag operation {flag}");
                return new FlagUpdate(flag == 1);
            case DataTypeKind.Map:
                if (depth > DataTypeLimits.MaxMapDepth) throw r.Fail($"nests maps past {DataTypeLimits.MaxMapDepth} levels");
                int fields = r.Count(DataTypeLimits.MaxItemsPerOperation, 3, "field operations");
                var ops = ImmutableArray.CreateBuilder<MapFieldOperation>(fields);
                for (int i = 0; i < fields; i++)
                {
                    byte step = r.Byte();
                    if (step is not (1 or 2)) throw r.Fail($"has an unknown field operation {step}");
                    var key = new FieldKey(r.String(DataTypeLimits.MaxFieldNameBytes), (DataTypeKind)r.Byte());
                    if (!DataTypeNames.IsDefined(key.Kind)) throw r.Fail($"has a field of unknown type {(int)key.Kind}");
                    ops.Add(step == 1 ? new FieldUpdate(key, Read(ref r, depth + 1)) : new FieldRemove(key));
                }
                return new MapUpdate(ops.MoveToImmutable());
            default:
                throw r.Fail($"has an unknown type {(int)kind}");
        }
    }
}
