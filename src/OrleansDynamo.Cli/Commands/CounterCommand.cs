using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo counter incr KEY [N] [--bucket B]</c>, <c>dynamo counter get KEY [--bucket B]</c>: a bucket of type counter.</summary>
public static class CounterCommand
{
    public static Command Create(CliConsole io)
    {
        var command = new Command("counter", "Counters: keys of a bucket created with --type counter");
        command.Subcommands.Add(CreateIncrement(io));
        command.Subcommands.Add(CreateGet(io));
        return command;
    }

    private static Command CreateIncrement(CliConsole io)
    {
        var key = KeyOptions.Key();
        var amount = new Argument<long>("N") { Description = "The amount (negative decrements)", DefaultValueFactory = _ => 1 };
        var bucket = KeyOptions.Bucket();
        var w = KeyOptions.Quorum("--w", "Acknowledgements to wait for (default: the bucket's W)");
        var command = new Command("incr", "Add N to a counter (a negative N subtracts); prints its value after, at the coordinator") { key, amount, bucket, w };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!, keyName = parseResult.GetValue(key)!;
            var result = await ctx.Client.Counters(bucketName).IncrementAsync(keyName, parseResult.GetValue(amount), new PutOptions { W = parseResult.GetValue(w) }, ct);
            return DataTypeOutput.Write(ctx, bucketName, keyName, result, update: true);
        }));
        return command;
    }

    private static Command CreateGet(CliConsole io)
    {
        var key = KeyOptions.Key();
        var bucket = KeyOptions.Bucket();
        var command = new Command("get", "Read a counter (never incremented: not found, exit 1)") { key, bucket };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!, keyName = parseResult.GetValue(key)!;
            return DataTypeOutput.Write(ctx, bucketName, keyName, await ctx.Client.Counters(bucketName).GetAsync(keyName, null, ct));
        }));
        return command;
    }
}
