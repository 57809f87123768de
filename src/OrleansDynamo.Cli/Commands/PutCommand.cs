using System.CommandLine;
using System.Text;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo put KEY VALUE|- [--context C] [--bucket B] [--w W] [--pw PW]</c></summary>
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
        var command = new Command("put", "Write a value") { key, value, bucket, context, w, pw };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var parsedContext = KeyOptions.ParseContext(parseResult.GetValue(context));
            var text = parseResult.GetValue(value)!;
            byte[] bytes = text == "-" ? await ReadStdinAsync(ctx.Io, ct) : Encoding.UTF8.GetBytes(text);
            var options = new PutOptions { W = parseResult.GetValue(w), PW = parseResult.GetValue(pw) };
            string bucketName = parseResult.GetValue(bucket)!;
            string keyName = parseResult.GetValue(key)!;
            var written = await ctx.Client.PutAsync(bucketName, keyName, bytes, parsedContext, options, ct);
            if (ctx.Json)
            {
                JsonOut.Write(ctx.Io, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("context", written.ToString());
                    writer.WriteEndObject();
                });
            }
            else
            {
                ctx.Out.WriteLine($"stored {bucketName}/{keyName} ({bytes.Length} bytes)");
                ctx.Out.WriteLine($"context: {written}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<byte[]> ReadStdinAsync(CliConsole io, CancellationToken cancellationToken)
    {
        using var stdin = io.OpenStdin();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
