using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Protocol.DataTypes;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Silo.Rest;

/// <summary>
/// The typed buckets' JSON on the REST API (docs/rest.md). Operations in: a counter's <c>{"increment": 5}</c> or
/// <c>{"decrement": 2}</c>; a set's <c>{"add": [...], "remove": [...]}</c>; a map's <c>{"update": {"visits_counter": 1,
/// "tags_set": {"add": ["a"]}, "name_register": "Ann", "vip_flag": true, "address_map": {"update": {...}}}, "remove": ["old_set"]}</c>,
/// fields named <c>name_type</c> as the CLI's <c>--json</c> prints them. Values out: a counter as an integer literal
/// (its digits; a counter stays within ±2^53, so every JSON parser reads it exactly), a set as an array of strings, a map as an object keyed <c>name_type</c>, a
/// register as its UTF-8 text (several concurrent values: an array; bytes that are not UTF-8: <c>{"base64": "..."}</c>),
/// a flag as a boolean.
/// </summary>
public static class RestDataTypes
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    /// <summary>
    /// The operations a body asks for on a bucket of type <paramref name="kind"/>, in the order they apply: one, except
    /// a set's remove and add together, which are two (the remove first).
    /// </summary>
    /// <exception cref="DynamoException">InvalidArgument: the body is not an operation of this type.</exception>
    public static IReadOnlyList<DataTypeOperation> Parse(JsonElement body, DataTypeKind kind)
    {
        string type = DataTypeNames.Of(kind);
        if (body.ValueKind != JsonValueKind.Object) throw Invalid($"a {type} operation is a JSON object, got {Describe(body)}");
        return kind switch
        {
            DataTypeKind.Counter => [Counter(body, type)],
            DataTypeKind.Set => Set(body, type),
            DataTypeKind.Map => [Map(body, type)],
            _ => throw Invalid($"a bucket of type {type} takes no REST operations"),
        };
    }

    private static CounterIncrement Counter(JsonElement op, string where)
    {
        long? amount = null;
        foreach (var p in op.EnumerateObject())
        {
            long n = p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt64(out var v)
                ? v : throw Invalid($"{where}: '{p.Name}' takes a whole number (64-bit), got {Describe(p.Value)}");
            amount = p.Name switch
            {
                "increment" when amount is null => n,
                "decrement" when amount is null && n != long.MinValue => -n,
                "increment" or "decrement" => throw Invalid($"{where}: give one of increment or decrement"),
                _ => throw Invalid($"{where}: unknown counter operation '{p.Name}'; use increment or decrement"),
            };
        }
        return new CounterIncrement(amount ?? throw Invalid($"{where}: give increment or decrement"));
    }

    private static List<DataTypeOperation> Set(JsonElement op, string where)
    {
        string[]? add = null, remove = null;
        foreach (var p in op.EnumerateObject())
        {
            switch (p.Name)
            {
                case "add": add = Strings(p.Value, where + ".add"); break;
                case "remove": remove = Strings(p.Value, where + ".remove"); break;
                default: throw Invalid($"{where}: unknown set operation '{p.Name}'; use add and remove");
            }
        }
        var ops = new List<DataTypeOperation>();
        if (remove is { Length: > 0 }) ops.Add(new SetRemove([.. remove]));
        if (add is { Length: > 0 }) ops.Add(new SetAdd([.. add]));
        return ops.Count > 0 ? ops : throw Invalid($"{where}: give add or remove, each a non-empty array of strings");
    }

    private static MapUpdate Map(JsonElement op, string where)
    {
        var fields = new List<MapFieldOperation>();
        JsonElement? update = null;
        foreach (var p in op.EnumerateObject())
        {
            switch (p.Name)
            {
                case "remove":
                    foreach (var name in Strings(p.Value, where + ".remove")) fields.Add(new FieldRemove(Field(name, where + ".remove")));
                    break;
                case "update":
                    update = p.Value.ValueKind == JsonValueKind.Object ? p.Value : throw Invalid($"{where}.update is an object of fields, got {Describe(p.Value)}");
                    break;
                default: throw Invalid($"{where}: unknown map operation '{p.Name}'; use update and remove");
            }
        }
        // Removes first, then updates: a field both removed and updated ends updated.
        foreach (var p in update?.EnumerateObject().ToArray() ?? [])
        {
            var key = Field(p.Name, where + ".update");
            string at = $"{where}.update.{p.Name}";
            switch (key.Kind)
            {
                case DataTypeKind.Counter:
                    fields.Add(new FieldUpdate(key, p.Value.ValueKind == JsonValueKind.Number
                        ? new CounterIncrement(p.Value.TryGetInt64(out long n) ? n : throw Invalid($"{at}: a whole number (64-bit), got {Describe(p.Value)}"))
                        : Counter(Object(p.Value, at), at)));
                    break;
                case DataTypeKind.Set:
                    foreach (var setOp in Set(Object(p.Value, at), at)) fields.Add(new FieldUpdate(key, setOp));
                    break;
                case DataTypeKind.Register:
                    fields.Add(new FieldUpdate(key, new RegisterAssign(Encoding.UTF8.GetBytes(p.Value.ValueKind == JsonValueKind.String
                        ? p.Value.GetString()! : throw Invalid($"{at}: a register takes a string, got {Describe(p.Value)}")))));
                    break;
                case DataTypeKind.Flag:
                    fields.Add(new FieldUpdate(key, new FlagUpdate(p.Value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        JsonValueKind.String when p.Value.GetString() is "enable" => true,
                        JsonValueKind.String when p.Value.GetString() is "disable" => false,
                        _ => throw Invalid($"{at}: a flag takes true, false, \"enable\" or \"disable\", got {Describe(p.Value)}"),
                    })));
                    break;
                default:
                    fields.Add(new FieldUpdate(key, Map(Object(p.Value, at), at)));
                    break;
            }
        }
        return fields.Count > 0 ? new MapUpdate([.. fields]) : throw Invalid($"{where}: give update or remove");
    }

    private static JsonElement Object(JsonElement value, string at) =>
        value.ValueKind == JsonValueKind.Object ? value : throw Invalid($"{at}: expected an object, got {Describe(value)}");

    /// <summary>A field named <c>name_type</c>: the name is everything before the last underscore.</summary>
    private static FieldKey Field(string text, string where)
    {
        int cut = text.LastIndexOf('_');
        if (cut <= 0 || DataTypeNames.Parse(text[(cut + 1)..]) is not { } kind)
            throw Invalid($"{where}: field '{text}' is not name_type (type counter, set, register, flag or map)");
        return new FieldKey(text[..cut], kind);
    }

    private static string[] Strings(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Array) throw Invalid($"{where} is an array of strings, got {Describe(value)}");
        return [.. value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Invalid($"{where}: every element is a string, got {Describe(e)}"))];
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "the number " + e.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static DynamoException Invalid(string message) => DynamoException.Invalid(message);

    /// <summary>Writes <c>{"type": ..., "value": ..., "context": ...}</c>.</summary>
    public static void Write(Utf8JsonWriter writer, DataTypeState state, string context)
    {
        writer.WriteStartObject();
        writer.WriteString("type", DataTypeNames.Of(state.Kind));
        writer.WritePropertyName("value");
        WriteValue(writer, DataTypeWire.ToWire(state));
        writer.WriteString("context", context);
        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, DataTypeValue value)
    {
        switch (value.Type)
        {
            case "counter":
                // The digits (a counter stays within ±2^53, which a double holds exactly).
                writer.WriteRawValue(Int128.Parse(value.Counter, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
                break;
            case "set":
                writer.WriteStartArray();
                foreach (var e in value.Elements) writer.WriteStringValue(e);
                writer.WriteEndArray();
                break;
            case "register":
                if (value.RegisterValues.Count == 1)
                {
                    WriteRegister(writer, value.RegisterValues[0].ToByteArray());
                    break;
                }
                writer.WriteStartArray();
                foreach (var r in value.RegisterValues) WriteRegister(writer, r.ToByteArray());
                writer.WriteEndArray();
                break;
            case "flag":
                writer.WriteBooleanValue(value.Flag);
                break;
            default:
                writer.WriteStartObject();
                foreach (var f in value.Fields)
                {
                    writer.WritePropertyName($"{f.Name}_{f.Value.Type}");
                    WriteValue(writer, f.Value);
                }
                writer.WriteEndObject();
                break;
        }
    }

    private static void WriteRegister(Utf8JsonWriter writer, byte[] bytes)
    {
        try
        {
            writer.WriteStringValue(StrictUtf8.GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            writer.WriteStartObject();
            writer.WriteString("base64", Convert.ToBase64String(bytes));
            writer.WriteEndObject();
        }
    }
}
