using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Output;

/// <summary>Writes one compact JSON document and a newline to stdout.</summary>
internal static class JsonOut
{
    private static readonly JsonWriterOptions s_options = new()
    {
        // Values are user text: keep non-ASCII readable; the output is not embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(CliConsole io, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            write(writer);
        }
        buffer.Write("\n"u8);
        io.WriteBytes(buffer.WrittenSpan);
    }

    /// <summary>
    /// Writes <c>"siblings":[{"value":...,"encoding":"utf-8"|"base64","deleted":...}]</c>: each value as text when it
    /// is UTF-8 text, else (or for every value with <paramref name="base64"/>) as base64.
    /// </summary>
    public static void WriteSiblings(Utf8JsonWriter writer, IReadOnlyList<SiblingValue> siblings, bool base64)
    {
        writer.WriteStartArray("siblings");
        foreach (var sibling in siblings)
        {
            var shown = ValueText.Show(sibling.Value.Span, base64);
            writer.WriteStartObject();
            writer.WriteString("value", shown.Text);
            writer.WriteString("encoding", shown.Encoding);
            writer.WriteString("contentType", sibling.ContentType);
            writer.WriteBoolean("deleted", sibling.Deleted);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public static void WriteStringArray(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    public static void WriteSilo(Utf8JsonWriter writer, ClusterSilo silo)
    {
        writer.WriteStartObject();
        writer.WriteString("name", silo.Name);
        writer.WriteString("address", silo.Address);
        writer.WriteString("status", silo.Status);
        writer.WriteNumber("partitions", silo.Partitions);
        writer.WriteNumber("replicas", silo.Replicas);
        writer.WriteString("zone", silo.Zone);
        writer.WriteString("httpAddress", silo.HttpAddress);
        writer.WriteEndObject();
    }
}
