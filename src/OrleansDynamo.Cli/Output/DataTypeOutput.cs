using System.Globalization;
using System.Text.Json;
using OrleansDynamo.Client.DataTypes;
using OrleansDynamo.Core.DataTypes;

namespace OrleansDynamo.Cli.Output;

/// <summary>
/// How the typed verbs print a value and its context. Text: a counter's number, a set's members one per line, a map's
/// fields as <c>name (type): value</c>, nested maps indented. JSON: a counter as an exact number, a set as an array,
/// a map as an object keyed <c>name_type</c>, a register as its UTF-8 text (concurrent values as an array), a flag as a boolean.
/// </summary>
internal static class DataTypeOutput
{
    /// <summary>Prints a read or an update's answer; answers the exit code (a read that found nothing: 1; an update: 0).</summary>
    public static int Write(CommandContext ctx, string bucket, string key, DataTypeResult result, bool update = false)
    {
        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                writer.WriteStartObject();
                writer.WriteBoolean("found", result.Found);
                writer.WriteString("bucket", bucket);
                writer.WriteString("key", key);
                writer.WriteString("type", DataTypeNames.Of(result.Value.Kind));
                writer.WritePropertyName("value");
                WriteJson(writer, result.Value);
                writer.WriteString("context", result.Context.ToString());
                writer.WriteEndObject();
            });
        }
        else if (!result.Found && !update)
        {
            ctx.Out.WriteLine($"not found: {bucket}/{key}");
        }
        else
        {
            WriteText(ctx.Out, result.Value, "");
            if (!result.Context.IsEmpty) ctx.Out.WriteLine($"context: {result.Context}");
        }
        return result.Found || update ? ExitCodes.Success : ExitCodes.NotFound;
    }

    private static void WriteText(TextWriter output, DataValue value, string indent)
    {
        switch (value.Kind)
        {
            case DataTypeKind.Counter:
                output.WriteLine(indent + value.Counter.ToString(CultureInfo.InvariantCulture));
                break;
            case DataTypeKind.Set:
                if (value.Elements.IsEmpty) output.WriteLine(indent + "(no members)");
                foreach (var e in value.Elements) output.WriteLine(indent + e);
                break;
            default:
                foreach (var (field, v) in value.Fields)
                {
                    string head = $"{indent}{field.Name} ({DataTypeNames.Of(field.Kind)}):";
                    switch (field.Kind)
                    {
                        case DataTypeKind.Counter:
                            output.WriteLine($"{head} {v.Counter.ToString(CultureInfo.InvariantCulture)}");
                            break;
                        case DataTypeKind.Set:
                            output.WriteLine($"{head} {string.Join(", ", v.Elements)}");
                            break;
                        case DataTypeKind.Register:
                            output.WriteLine($"{head} {string.Join(" | ", v.Registers.Select(r => ValueText.Inline(r, base64: false)))}");
                            break;
                        case DataTypeKind.Flag:
                            output.WriteLine($"{head} {(v.Flag ? "on" : "off")}");
                            break;
                        default:
                            output.WriteLine(head);
                            WriteText(output, v, indent + "  ");
                            break;
                    }
                }
                break;
        }
    }

    private static void WriteJson(Utf8JsonWriter writer, DataValue value)
    {
        switch (value.Kind)
        {
            case DataTypeKind.Counter:
                // Exact past 2^53: the number's digits, not a double.
                writer.WriteRawValue(value.Counter.ToString(CultureInfo.InvariantCulture));
                break;
            case DataTypeKind.Set:
                writer.WriteStartArray();
                foreach (var e in value.Elements) writer.WriteStringValue(e);
                writer.WriteEndArray();
                break;
            case DataTypeKind.Register:
                if (value.Registers.Length == 1)
                {
                    writer.WriteStringValue(ValueText.Inline(value.Registers[0], base64: false));
                    break;
                }
                writer.WriteStartArray();
                foreach (var r in value.Registers) writer.WriteStringValue(ValueText.Inline(r, base64: false));
                writer.WriteEndArray();
                break;
            case DataTypeKind.Flag:
                writer.WriteBooleanValue(value.Flag);
                break;
            default:
                writer.WriteStartObject();
                foreach (var (field, v) in value.Fields)
                {
                    writer.WritePropertyName($"{field.Name}_{DataTypeNames.Of(field.Kind)}");
                    WriteJson(writer, v);
                }
                writer.WriteEndObject();
                break;
        }
    }
}
