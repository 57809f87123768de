using System.CommandLine;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo get KEY [--bucket B] [--r R] [--pr PR] [--base64 | --raw] [--replicas]</c></summary>
public static class GetCommand
{
    public static Command Create(CliConsole io)
    {
        var key = KeyOptions.Key();
        var bucket = KeyOptions.Bucket();
        var r = KeyOptions.Quorum("--r", "Replies to wait for (default: the bucket's R)");
        var pr = KeyOptions.Quorum("--pr", "Of those, replies from primary replicas (default: the bucket's PR)");
        var base64 = new Option<bool>("--base64") { Description = "Print every value as base64 (values that are not UTF-8 text always are)" };
        var raw = new Option<bool>("--raw")
        {
            Description = "Write the value's bytes to stdout as they are, nothing else (fails when the key has several concurrent versions)",
        };
        var replicas = new Option<bool>("--replicas") { Description = "Show what every replica in the preference list holds, unreconciled" };
        var command = new Command("get", "Read a key: every concurrent version and the context to write back with") { key, bucket, r, pr, base64, raw, replicas };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            string bucketName = parseResult.GetValue(bucket)!;
            string keyName = parseResult.GetValue(key)!;
            bool asBase64 = parseResult.GetValue(base64);
            bool asRaw = parseResult.GetValue(raw);
            if (asRaw)
            {
                string? other = ctx.Json ? "--json" : asBase64 ? "--base64" : parseResult.GetValue(replicas) ? "--replicas" : null;
                if (other is not null) throw new ArgumentException($"--raw writes the value's bytes alone; it does not go with {other}");
            }
            if (parseResult.GetValue(replicas))
                return await ShowReplicasAsync(ctx, bucketName, keyName, asBase64, ct);

            var options = new GetOptions { R = parseResult.GetValue(r), PR = parseResult.GetValue(pr) };
            var result = await ctx.Client.GetAsync(bucketName, keyName, options, ct);
            if (asRaw) return WriteRaw(ctx, bucketName, keyName, result);
            if (ctx.Json)
            {
                JsonOut.Write(ctx.Io, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteBoolean("found", result.Found);
                    JsonOut.WriteSiblings(writer, result.Siblings, asBase64);
                    writer.WriteString("context", result.Context.ToString());
                    writer.WriteEndObject();
                });
            }
            else if (!result.Found)
            {
                ctx.Out.WriteLine($"not found: {bucketName}/{keyName}");
            }
            else if (result.Siblings.Count == 1)
            {
                var (text, encoding) = ValueText.Show(result.Siblings[0].Value.Span, asBase64);
                ctx.Out.WriteLine(text);
                if (encoding == ValueText.Base64 && !asBase64) ctx.Out.WriteLine("encoding: base64 (the value is not UTF-8 text; get --raw writes its bytes)");
                if (result.Siblings[0].ContentType is { } type) ctx.Out.WriteLine($"content type: {type}");
                ctx.Out.WriteLine($"context: {result.Context}");
            }
            else
            {
                ctx.Out.WriteLine($"{result.Siblings.Count} concurrent versions (siblings); write back with the context to reconcile:");
                for (int i = 0; i < result.Siblings.Count; i++)
                {
                    var sibling = result.Siblings[i];
                    string shown = sibling.Deleted ? "(deleted)" : ValueText.Inline(sibling.Value.Span, asBase64);
                    ctx.Out.WriteLine(sibling.ContentType is { } type ? $"[{i + 1}] {shown} ({type})" : $"[{i + 1}] {shown}");
                }
                ctx.Out.WriteLine($"context: {result.Context}");
            }
            return result.Found ? ExitCodes.Success : ExitCodes.NotFound;
        }));
        return command;
    }

    /// <summary>--raw: the one value's bytes on stdout; not found on stderr (exit 1); several siblings an error (exit 2).</summary>
    private static int WriteRaw(CommandContext ctx, string bucket, string key, GetResult result)
    {
        if (!result.Found)
        {
            ctx.Io.Error.WriteLine($"not found: {bucket}/{key}");
            return ExitCodes.NotFound;
        }
        if (result.Siblings.Count > 1)
        {
            return ExitCodes.Fail(ctx.Io,
                $"{bucket}/{key} has {result.Siblings.Count} concurrent versions (siblings) and --raw writes one value: " +
                "see them with dynamo get (or --json), then put the one to keep with the context to reconcile");
        }
        ctx.Io.WriteBytes(result.Siblings[0].Value.Span);
        return ExitCodes.Success;
    }

    private static async Task<int> ShowReplicasAsync(CommandContext ctx, string bucket, string key, bool base64, CancellationToken ct)
    {
        var report = await ctx.Client.GetReplicasAsync(bucket, key, ct);
        bool anyFound = false;
        foreach (var replica in report.Replicas) anyFound |= replica.Found || replica.Siblings.Count > 0;

        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                writer.WriteStartObject();
                writer.WriteStartArray("replicas");
                foreach (var replica in report.Replicas)
                {
                    writer.WriteStartObject();
                    writer.WriteString("silo", replica.Silo);
                    writer.WriteBoolean("reachable", replica.Reachable);
                    JsonOut.WriteSiblings(writer, replica.Siblings, base64);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
        }
        else
        {
            ctx.Ansi.MarkupLine($"{Markup.Escape(bucket)}/{Markup.Escape(key)}: partition [bold]{report.Partition}[/], preference list {Markup.Escape(string.Join(", ", report.PreferenceList))}");
            var table = new Table().AddColumns("Silo", "Reachable", "Versions", "Error");
            foreach (var replica in report.Replicas)
            {
                var versions = new List<string>(replica.Siblings.Count);
                foreach (var sibling in replica.Siblings)
                    versions.Add(sibling.Deleted ? "(deleted)" : ValueText.Inline(sibling.Value.Span, base64));
                string shown = versions.Count == 0 ? (replica.Reachable ? "(none)" : "") : string.Join("\n", versions);
                table.AddRow(
                    new Text(replica.Silo),
                    new Markup(replica.Reachable ? "[green]yes[/]" : "[red]no[/]"),
                    new Text(shown),
                    new Text(replica.Error));
            }
            ctx.Ansi.Write(table);
        }
        return anyFound ? ExitCodes.Success : ExitCodes.NotFound;
    }
}
