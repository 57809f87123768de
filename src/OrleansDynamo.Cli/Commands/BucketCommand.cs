using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Core.Buckets;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>dynamo bucket create NAME [--type kv|counter|set|map] [--n N] [--r R] [--w W] [--pr PR] [--pw PW] [--policy siblings|last-write-wins] [--max-value-bytes B] [--force]</c>,
/// <c>dynamo bucket list</c>, <c>dynamo bucket show NAME</c>.
/// </summary>
public static class BucketCommand
{
    public static Command Create(CliConsole io)
    {
        var command = new Command("bucket", "Manage buckets (named key spaces with their own N, R, W and conflict policy)");
        command.Subcommands.Add(CreateCreate(io));
        command.Subcommands.Add(CreateList(io));
        command.Subcommands.Add(CreateShow(io));
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
        var type = new Option<string>("--type")
        {
            Description = "What the keys hold, fixed at creation: kv (values, with --policy), or a counter, set or map (merged, never siblings)",
            DefaultValueFactory = _ => BucketSettings.KeyValueType,
        };
        var maxValueBytes = new Option<int>("--max-value-bytes")
        {
            Description = "Largest value accepted, in bytes",
            DefaultValueFactory = _ => BucketSettings.DefaultMaxValueBytes,
        };
        var force = new Option<bool>("--force") { Description = "Allow changing an existing bucket's N or policy (moves its keys' replicas)" };
        var command = new Command("create",
            "Create a bucket, or change an existing one's settings (its N or policy only with --force); warns when N is above the number of silos")
        {
            name, type, n, r, w, pr, pw, policy, maxValueBytes, force,
        };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string policyText = parseResult.GetValue(policy)!;
            var parsedPolicy = BucketSettings.ParsePolicy(policyText)
                ?? throw new ArgumentException($"--policy: '{policyText}' is not siblings or last-write-wins");
            string typeText = parseResult.GetValue(type)!;
            var typedPolicy = BucketSettings.PolicyForType(typeText, parsedPolicy)
                ?? throw new ArgumentException($"--type: '{typeText}' is not kv, counter, set or map");
            if (typedPolicy != parsedPolicy && parsedPolicy != Core.Coordination.ConflictPolicy.Siblings)
                throw new ArgumentException($"--policy {policyText}: a {typeText} bucket has no conflict policy (its values merge); leave --policy out");
            parsedPolicy = typedPolicy;
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
            var ring = await ctx.Client.GetRingAsync(null, ct);
            if (ReplicaCount.FewerSilosThanN(stored.Name, stored.N, ring) is { } warning) ctx.Io.Warn(warning);
            WriteBucket(ctx, stored, found: null);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateList(CliConsole io)
    {
        var command = new Command("list", "List the buckets with their N, R, W, PR, PW, type, policy and largest value");
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var ring = await ctx.Client.GetRingAsync(null, ct);
            var buckets = ring.Buckets.OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
            if (ctx.Json)
            {
                JsonOut.Write(ctx.Io, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("silos", ring.Silos.Count);
                    writer.WriteStartArray("buckets");
                    foreach (var b in buckets) WriteBucketJson(writer, b);
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return ExitCodes.Success;
            }
            var table = new Table().AddColumns("Bucket", "N", "R", "W", "PR", "PW", "Type", "Policy", "Max value bytes");
            foreach (var b in buckets)
            {
                table.AddRow(Markup.Escape(b.Name), Number(b.N), Number(b.R), Number(b.W), Number(b.PR), Number(b.PW),
                    b.TypeName, PolicyText(b), Number(b.MaxValueBytes));
            }
            ctx.Ansi.Write(table);
            ctx.Out.WriteLine($"{ReplicaCount.Of(buckets.Count, "bucket")}, {ReplicaCount.Of(ring.Silos.Count, "silo")}; one bucket: dynamo bucket show NAME");
            foreach (var b in buckets)
            {
                if (ReplicaCount.FewerSilosThanN(b.Name, b.N, ring) is { } warning) ctx.Io.Warn(warning);
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateShow(CliConsole io)
    {
        var name = new Argument<string>("NAME") { Description = "The bucket" };
        var command = new Command("show", "Show one bucket's settings (not found: exit 1)") { name };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(name)!;
            var ring = await ctx.Client.GetRingAsync(null, ct);
            if (ring.FindBucket(bucketName) is not { } bucket)
            {
                if (ctx.Json)
                {
                    JsonOut.Write(ctx.Io, writer =>
                    {
                        writer.WriteStartObject();
                        writer.WriteBoolean("found", false);
                        writer.WriteString("name", bucketName);
                        writer.WriteEndObject();
                    });
                }
                else
                {
                    ctx.Out.WriteLine($"not found: bucket {bucketName} (dynamo bucket list shows the buckets)");
                }
                return ExitCodes.NotFound;
            }
            if (ReplicaCount.FewerSilosThanN(bucket.Name, bucket.N, ring) is { } warning) ctx.Io.Warn(warning);
            WriteBucket(ctx, bucket, found: true);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>One bucket: a line of text, or its JSON object (with "found" when <paramref name="found"/> is given).</summary>
    private static void WriteBucket(CommandContext ctx, BucketSettings bucket, bool? found)
    {
        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                if (found is { } f)
                {
                    writer.WriteStartObject();
                    writer.WriteBoolean("found", f);
                    WriteBucketFields(writer, bucket);
                    writer.WriteEndObject();
                }
                else
                {
                    WriteBucketJson(writer, bucket);
                }
            });
            return;
        }
        ctx.Out.WriteLine(
            $"bucket {bucket.Name}: N={bucket.N} R={bucket.R} W={bucket.W} PR={bucket.PR} PW={bucket.PW} " +
            $"type={bucket.TypeName} policy={PolicyText(bucket)} max-value-bytes={bucket.MaxValueBytes}");
    }

    private static void WriteBucketJson(Utf8JsonWriter writer, BucketSettings bucket)
    {
        writer.WriteStartObject();
        WriteBucketFields(writer, bucket);
        writer.WriteEndObject();
    }

    private static void WriteBucketFields(Utf8JsonWriter writer, BucketSettings bucket)
    {
        writer.WriteString("name", bucket.Name);
        writer.WriteNumber("n", bucket.N);
        writer.WriteNumber("r", bucket.R);
        writer.WriteNumber("w", bucket.W);
        writer.WriteNumber("pr", bucket.PR);
        writer.WriteNumber("pw", bucket.PW);
        writer.WriteString("type", bucket.TypeName);
        writer.WriteString("policy", PolicyText(bucket));
        writer.WriteNumber("maxValueBytes", bucket.MaxValueBytes);
    }

    /// <summary>A key-value bucket's conflict policy; "merge" for a typed bucket (its values merge, no siblings).</summary>
    private static string PolicyText(BucketSettings bucket) => bucket.DataType is null ? BucketSettings.PolicyName(bucket.Policy) : "merge";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
