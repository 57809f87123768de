namespace OrleansDynamo.Cli.Output;

/// <summary>Prints an admin command's answer: <c>{"message":...}</c> or the text.</summary>
internal static class AdminOutput
{
    public static void Write(CommandContext ctx, string message, string fallback)
    {
        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("message", message);
                writer.WriteEndObject();
            });
        }
        else
        {
            ctx.Out.WriteLine(string.IsNullOrWhiteSpace(message) ? fallback : message);
        }
    }
}
