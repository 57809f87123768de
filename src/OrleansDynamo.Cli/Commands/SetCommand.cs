using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo set add|remove KEY ELEM... [--bucket B] [--context C]</c>, <c>dynamo set get KEY</c>: a bucket of type set.</summary>
public static class SetCommand
{
    public static Command Create(CliConsole io)
    {
        var command = new Command("set", "Sets: keys of a bucket created with --type set");
        command.Subcommands.Add(CreateChange(io, remove: false));
        command.Subcommands.Add(CreateChange(io, remove: true));
        command.Subcommands.Add(CreateGet(io));
        return command;
    }

    private static Command CreateChange(CliConsole io, bool remove)
    {
        var key = KeyOptions.Key();
        var elements = new Argument<string[]>("ELEM") { Description = "The members", Arity = ArgumentArity.OneOrMore };
        var bucket = KeyOptions.Bucket();
        var context = KeyOptions.Context();
        context.Description = "The context a get printed: the remove drops only the adds that get saw (default: what this remove reads first)";
        var command = remove
            ? new Command("remove", "Remove members as last read (an add not yet seen stays); prints the members after") { key, elements, bucket, context }
            : new Command("add", "Add members; prints the members after") { key, elements, bucket };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!, keyName = parseResult.GetValue(key)!;
            var members = parseResult.GetValue(elements)!;
            var sets = ctx.Client.Sets(bucketName);
            if (!remove) return DataTypeOutput.Write(ctx, bucketName, keyName, await sets.AddAsync(keyName, members, null, ct), update: true);
            var observed = KeyOptions.ParseContext(parseResult.GetValue(context)) ?? (await sets.GetAsync(keyName, null, ct)).Context;
            return DataTypeOutput.Write(ctx, bucketName, keyName, await sets.RemoveAsync(keyName, members, observed, null, ct), update: true);
        }));
        return command;
    }

    private static Command CreateGet(CliConsole io)
    {
        var key = KeyOptions.Key();
        var bucket = KeyOptions.Bucket();
        var command = new Command("get", "Read a set's members and the context to remove with (no members: not found, exit 1)") { key, bucket };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!, keyName = parseResult.GetValue(key)!;
            return DataTypeOutput.Write(ctx, bucketName, keyName, await ctx.Client.Sets(bucketName).GetAsync(keyName, null, ct));
        }));
        return command;
    }
}
