using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo delete KEY [--context C] [--bucket B] [--w W] [--pw PW]</c></summary>
public static class DeleteCommand
{
    public static Command Create(CliConsole io)
    {
        var key = KeyOptions.Key();
        var bucket = KeyOptions.Bucket();
        var context = KeyOptions.Context();
        var w = KeyOptions.Quorum("--w", "Acknowledgements to wait for (default: the bucket's W)");
        var pw = KeyOptions.Quorum("--pw", "Of those, acknowledgements from primary replicas (default: the bucket's PW)");
        var command = new Command("delete", "Delete a key (writes a tombstone)") { key, bucket, context, w, pw };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var parsedContext = KeyOptions.ParseContext(parseResult.GetValue(context));
            var options = new PutOptions { W = parseResult.GetValue(w), PW = parseResult.GetValue(pw) };
            string bucketName = parseResult.GetValue(bucket)!;
            string keyName = parseResult.GetValue(key)!;
            var written = await ctx.Client.DeleteAsync(bucketName, keyName, parsedContext, options, ct);
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
                ctx.Out.WriteLine($"deleted {bucketName}/{keyName}");
                ctx.Out.WriteLine($"context: {written}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
