using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Core.Buckets;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo bucket create NAME [--n N] [--r R] [--w W] [--pr PR] [--pw PW] [--policy siblings|last-write-wins] [--max-value-bytes B] [--force]</c></summary>
public static class BucketCommand
{
    public static Command Create(CliConsole io)
    {
        var command = new Command("bucket", "Manage buckets (named key spaces with their own N, R, W and conflict policy)");
        command.Subcommands.Add(CreateCreate(io));
        return command;
    }

    private static Command CreateCreate(CliConsole io)
    {
        var name = new Argument<string>("NAME") { Description = "Bucket name: letters, digits, '_', '-', '.'" };
        var n = new Option<int>("--n") { Description = "Replicas per key", DefaultValueFactory = _ => 3 };
        var r = new Option<int>("--r") { Description = "Replies a get waits for", DefaultValueFactory = _ => 2 };
        var w = new Option<int>("--w") { Description = "Acknowledgements a put waits for", DefaultValueFactory = _ => 2 };
        var pr = new Option<int>("--pr") { Description = "Of R, replies from primary replicas", DefaultValueFactory = _ => 0 };
        var pw = new Option<int>("--pw") { Description = "Of W, acknowledgements from primary replicas", DefaultValueFactory = _ => 0 };
        var policy = new Option<string>("--policy")
        {
            Description = "Conflict policy: siblings (keep concurrent versions) or last-write-wins",
            DefaultValueFactory = _ => "siblings",
        };
        var maxValueBytes = new Option<int>("--max-value-bytes")
        {
            Description = "Largest value accepted, in bytes",
            DefaultValueFactory = _ => BucketSettings.DefaultMaxValueBytes,
        };
        var force = new Option<bool>("--force") { Description = "Allow changing an existing bucket's N or policy (moves its keys' replicas)" };
        var command = new Command("create", "Create a bucket (or change its settings; N or policy only with --force)") { name, n, r, w, pr, pw, policy, maxValueBytes, force };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string policyText = parseResult.GetValue(policy)!;
            var parsedPolicy = BucketSettings.ParsePolicy(policyText)
                ?? throw new ArgumentException($"--policy: '{policyText}' is not siblings or last-write-wins");
            var settings = new BucketSettings(
                parseResult.GetValue(name)!,
                N: parseResult.GetValue(n),
                R: parseResult.GetValue(r),
                W: parseResult.GetValue(w),
                Policy: parsedPolicy,
                MaxValueBytes: parseResult.GetValue(maxValueBytes),
                PR: parseResult.GetValue(pr),
                PW: parseResult.GetValue(pw));
            if (settings.Validate() is { } bad) throw new ArgumentException(bad);
            var stored = await ctx.Client.CreateBucketAsync(settings, parseResult.GetValue(force), ct);
            if (ctx.Json)
            {
                JsonOut.Write(ctx.Io, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", stored.Name);
                    writer.WriteNumber("n", stored.N);
                    writer.WriteNumber("r", stored.R);
                    writer.WriteNumber("w", stored.W);
                    writer.WriteNumber("pr", stored.PR);
                    writer.WriteNumber("pw", stored.PW);
                    writer.WriteString("policy", BucketSettings.PolicyName(stored.Policy));
                    writer.WriteNumber("maxValueBytes", stored.MaxValueBytes);
                    writer.WriteEndObject();
                });
            }
            else
            {
                ctx.Out.WriteLine(
                    $"bucket {stored.Name}: N={stored.N} R={stored.R} W={stored.W} PR={stored.PR} PW={stored.PW} " +
                    $"policy={BucketSettings.PolicyName(stored.Policy)} max-value-bytes={stored.MaxValueBytes}");
            }
            return ExitCodes.Success;
        }));
        return command;
    }
}
