using System.CommandLine;
using System.Text;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo put KEY VALUE|- [--context C] [--bucket B] [--w W] [--pw PW] [--content-type T]</c></summary>
public static class PutCommand
{
    public static Command Create(CliConsole io)
    {
        var key = KeyOptions.Key();
        var value = new Argument<string>("VALUE") { Description = "The value as text, or - to read the bytes from stdin" };
        var bucket = KeyOptions.Bucket();
        var context = KeyOptions.Context();
        var w = KeyOptions.Quorum("--w", "Acknowledgements to wait for (default: the bucket's W)");
        var pw = KeyOptions.Quorum("--pw", "Of those, acknowledgements from primary replicas (default: the bucket's PW)");
        var contentType = new Option<string?>("--content-type")
        {
            Description = "The value's media type, kept with it and shown by get (e.g. application/json; default: none)",
        };
        var command = new Command("put", "Write a value; says how many replicas took it (a warning on stderr when fewer than W)")
        {
            key, value, bucket, context, w, pw, contentType,
        };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var parsedContext = KeyOptions.ParseContext(parseResult.GetValue(context));
            var text = parseResult.GetValue(value)!;
            byte[] bytes = text == "-" ? await ReadStdinAsync(ctx.Io, ct) : Encoding.UTF8.GetBytes(text);
            var options = new PutOptions { W = parseResult.GetValue(w), PW = parseResult.GetValue(pw), ContentType = parseResult.GetValue(contentType) };
            string bucketName = parseResult.GetValue(bucket)!;
            string keyName = parseResult.GetValue(key)!;
            var written = await ctx.Client.PutWithResultAsync(bucketName, keyName, bytes, parsedContext, options, ct);
            WriteOutcome(ctx, $"stored {bucketName}/{keyName} ({ReplicaCount.Of(bytes.Length, "byte")})", bucketName, options, written, found: null);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// Prints a write's answer (put and delete): the replicas that took it and the new context, or the JSON object;
    /// warns on stderr when fewer replicas took it than W asked for.
    /// </summary>
    internal static void WriteOutcome(CommandContext ctx, string done, string bucket, PutOptions options, PutResult written, bool? found)
    {
        var ring = ctx.Client.CurrentRing;
        if (ReplicaCount.FewerAcksThanW(bucket, ReplicaCount.AskedW(options.W, bucket, ring), written, ring) is { } warning) ctx.Io.Warn(warning);
        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                writer.WriteStartObject();
                if (found is { } f) writer.WriteBoolean("found", f);
                writer.WriteString("context", written.Context.ToString());
                writer.WriteNumber("replicasAcked", written.ReplicasAcked);
                writer.WriteString("coordinator", written.Coordinator);
                writer.WriteEndObject();
            });
            return;
        }
        ctx.Out.WriteLine($"{done}, acknowledged by {ReplicaCount.Of(written.ReplicasAcked, "replica")}");
        ctx.Out.WriteLine($"context: {written.Context}");
    }

    private static async Task<byte[]> ReadStdinAsync(CliConsole io, CancellationToken cancellationToken)
    {
        using var stdin = io.OpenStdin();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
