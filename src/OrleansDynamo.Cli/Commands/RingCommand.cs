using System.CommandLine;
using System.Globalization;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo ring [--key KEY] [--bucket B]</c>: the ring, or one key's partition and preference list.</summary>
public static class RingCommand
{
    public static Command Create(CliConsole io)
    {
        var key = new Option<string?>("--key", "-k") { Description = "Show only this key's partition and preference list" };
        var bucket = KeyOptions.Bucket();
        bucket.Description = "The bucket whose N sizes the preference lists";
        var command = new Command("ring", "Show the ring: silos, partitions owned, preference lists") { key, bucket };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var ring = await ctx.Client.GetRingAsync(null, ct);
            string bucketName = parseResult.GetValue(bucket)!;
            int n = ring.ReplicationFactor(bucketName);
            if (parseResult.GetValue(key) is { } keyName)
            {
                ShowKey(ctx, ring, bucketName, keyName, n);
                return ExitCodes.Success;
            }
            if (ctx.Json)
                WriteRingJson(ctx, ring, n);
            else
                ShowRing(ctx, ring, bucketName, n);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void ShowKey(CommandContext ctx, ClusterRing ring, string bucket, string key, int n)
    {
        if (OrleansDynamo.Core.Keys.KeyValidation.CheckKey(key) is { } bad) throw new ArgumentException("--key: " + bad);
        int partition = ring.PartitionOf(bucket, key);
        var preference = ring.PreferenceListOf(partition, n);
        if (ctx.Json)
        {
            JsonOut.Write(ctx.Io, writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("partition", partition);
                writer.WriteStartArray("preferenceList");
                foreach (var silo in preference) writer.WriteStringValue(silo.Name);
                writer.WriteEndArray();
                writer.WriteEndObject();
            });
            return;
        }
        ctx.Ansi.MarkupLine($"{Markup.Escape(bucket)}/{Markup.Escape(key)} -> partition [bold]{partition}[/] of {ring.PartitionCount} (N={n})");
        var table = new Table().AddColumns("#", "Silo", "Address", "Zone", "Status");
        for (int i = 0; i < preference.Count; i++)
        {
            var silo = preference[i];
            table.AddRow(new Text((i + 1).ToString(CultureInfo.InvariantCulture)), new Text(silo.Name), new Text(silo.Address), new Text(silo.Zone),
                new Markup(StatusCommand.StatusMarkup(silo.Status)));
        }
        ctx.Ansi.Write(table);
    }

    private static void WriteRingJson(CommandContext ctx, ClusterRing ring, int n)
    {
        JsonOut.Write(ctx.Io, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("clusterName", ring.ClusterName);
            writer.WriteNumber("version", ring.Version);
            writer.WriteNumber("partitionCount", ring.PartitionCount);
            writer.WriteNumber("n", n);
            writer.WriteStartArray("silos");
            foreach (var silo in ring.Silos) JsonOut.WriteSilo(writer, silo);
            writer.WriteEndArray();
            writer.WriteStartArray("partitions");
            for (int p = 0; p < ring.PartitionCount; p++)
            {
                writer.WriteStartObject();
                writer.WriteNumber("partition", p);
                writer.WriteString("owner", ring.OwnerOf(p).Name);
                writer.WriteStartArray("preferenceList");
                foreach (var silo in ring.PreferenceListOf(p, n)) writer.WriteStringValue(silo.Name);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }

    private static void ShowRing(CommandContext ctx, ClusterRing ring, string bucket, int n)
    {
        var owned = new int[ring.Silos.Count];
        foreach (int owner in ring.Owners) owned[owner]++;
        var replicas = new int[ring.Silos.Count];
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < ring.Silos.Count; i++) index[ring.Silos[i].Name] = i;
        for (int p = 0; p < ring.PartitionCount; p++)
            foreach (var silo in ring.PreferenceListOf(p, n)) replicas[index[silo.Name]]++;

        ctx.Ansi.MarkupLine(
            $"cluster [bold]{Markup.Escape(ring.ClusterName)}[/], ring version {ring.Version}, {ring.PartitionCount} partitions, " +
            $"{ring.Silos.Count} silos (answered by {Markup.Escape(ring.AnsweredBy)}); replicas counted with N of bucket {Markup.Escape(bucket)}");
        var table = new Table().AddColumns("Silo", "Address", "Zone", "Status", "Owns", "Share", $"Replicas (N={n})");
        for (int i = 0; i < ring.Silos.Count; i++)
        {
            var silo = ring.Silos[i];
            double share = 100.0 * owned[i] / ring.PartitionCount;
            table.AddRow(
                new Text(silo.Name), new Text(silo.Address), new Text(silo.Zone), new Markup(StatusCommand.StatusMarkup(silo.Status)),
                new Text(owned[i].ToString(CultureInfo.InvariantCulture)),
                new Text(share.ToString("0.0", CultureInfo.InvariantCulture) + "%"),
                new Text(replicas[i].ToString(CultureInfo.InvariantCulture)));
        }
        ctx.Ansi.Write(table);
        if (ring.Buckets.Count > 0)
        {
            var buckets = new Table().AddColumns("Bucket", "N", "R", "W", "Policy", "Max value bytes");
            foreach (var b in ring.Buckets)
            {
                buckets.AddRow(Markup.Escape(b.Name), b.N.ToString(CultureInfo.InvariantCulture), b.R.ToString(CultureInfo.InvariantCulture),
                    b.W.ToString(CultureInfo.InvariantCulture), OrleansDynamo.Core.Buckets.BucketSettings.PolicyName(b.Policy),
                    b.MaxValueBytes.ToString(CultureInfo.InvariantCulture));
            }
            ctx.Ansi.Write(buckets);
        }
        ctx.Out.WriteLine("every partition's preference list: dynamo ring --json; one key's: dynamo ring --key KEY");
    }
}
