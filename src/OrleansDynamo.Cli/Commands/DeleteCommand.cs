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
        context.Description = "The context a get returned: the tombstone supersedes what that get read (default: what this delete reads first)";
        var w = KeyOptions.Quorum("--w", "Acknowledgements to wait for (default: the bucket's W)");
        var pw = KeyOptions.Quorum("--pw", "Of those, acknowledgements from primary replicas (default: the bucket's PW)");
        var command = new Command("delete", "Delete a key (writes a tombstone over what it reads); a key with no live version is not found (exit 1)")
        {
            key, bucket, context, w, pw,
        };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var givenContext = KeyOptions.ParseContext(parseResult.GetValue(context));
            var options = new PutOptions { W = parseResult.GetValue(w), PW = parseResult.GetValue(pw) };
            string bucketName = parseResult.GetValue(bucket)!;
            string keyName = parseResult.GetValue(key)!;

            // A delete of a key nobody wrote would write a tombstone and say "deleted": read first, as get would.
            var read = await ctx.Client.GetAsync(bucketName, keyName, null, ct);
            if (!read.Found)
            {
                if (ctx.Json)
                {
                    JsonOut.Write(ctx.Io, writer =>
                    {
                        writer.WriteStartObject();
                        writer.WriteBoolean("found", false);
                        writer.WriteEndObject();
                    });
                }
                else
                {
                    ctx.Out.WriteLine($"not found: {bucketName}/{keyName}");
                }
                return ExitCodes.NotFound;
            }
            // Without --context the tombstone supersedes every version just read (a blind tombstone would stand
            // beside them as a sibling, and the key would still read as found).
            var written = await ctx.Client.DeleteWithResultAsync(bucketName, keyName, givenContext ?? read.Context, options, ct);
            PutCommand.WriteOutcome(ctx, $"deleted {bucketName}/{keyName}", bucketName, options, written, found: true);
            return ExitCodes.Success;
        }));
        return command;
    }
}
