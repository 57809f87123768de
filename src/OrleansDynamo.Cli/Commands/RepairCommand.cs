using System.CommandLine;
using System.Globalization;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary>
/// <c>dynamo repair [--partition P]</c>: anti-entropy now, on the silo at the first --endpoint; prints what was compared
/// (per peer replica) and what was repaired (per partition).
/// </summary>
public static class RepairCommand
{
    public static Command Create(CliConsole io)
    {
        var partition = new Option<int?>("--partition", "-p") { Description = "Only this partition (default: every partition the silo holds)" };
        var command = new Command("repair",
            "Run anti-entropy (Merkle tree exchange) now on the silo at the first --endpoint; prints what it compared with each peer and what it repaired")
        {
            partition,
        };
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            int? p = parseResult.GetValue(partition);
            if (p is < 0) throw new ArgumentException($"--partition: must not be negative, got {p}");
            var repairing = ctx.Client.RepairWithResultAsync(p, ctx.FirstEndpoint, ct);
            if (!ctx.Json && !ctx.Io.OutputRedirected) await ShowProgressAsync(ctx, repairing, ct);
            var result = await repairing;
            if (ctx.Json)
                WriteJson(ctx, result);
            else if (result.Silo.Length == 0)
                ctx.Out.WriteLine(result.Message); // a silo that sends no summary
            else
                WriteText(ctx, result);
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>
    /// On a terminal, while the repair runs: the time so far and what the silo's anti-entropy counters moved since it
    /// began (exchanges run, keys repaired, bytes sent), read from its status twice a second.
    /// </summary>
    private static async Task ShowProgressAsync(CommandContext ctx, Task repairing, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        IReadOnlyDictionary<string, ulong>? start = null;
        try
        {
            start = (await ctx.Client.GetStatusAsync(ctx.FirstEndpoint, ct)).Counters;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // No figures: the spinner shows the time alone.
        }
        await ctx.Ansi.Status().Spinner(Spinner.Known.Dots).StartAsync($"repairing on {Markup.Escape(ctx.FirstEndpoint)}…", async status =>
        {
            while (!repairing.IsCompleted)
            {
                await Task.WhenAny(repairing, Task.Delay(500, CancellationToken.None));
                string line = $"repairing on {ctx.FirstEndpoint}: {clock.Elapsed.TotalSeconds:0.0} s";
                if (start is not null && !repairing.IsCompleted)
                {
                    try
                    {
                        var now = (await ctx.Client.GetStatusAsync(ctx.FirstEndpoint, ct)).Counters;
                        ulong Moved(string name) => now.GetValueOrDefault(name) - Math.Min(now.GetValueOrDefault(name), start.GetValueOrDefault(name));
                        line += string.Create(CultureInfo.InvariantCulture,
                            $", {Moved("antientropy_exchanges"):N0} exchanges, {Moved("antientropy_keys_repaired"):N0} keys repaired, {Moved("antientropy_bytes"):N0} bytes sent");
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                    }
                }
                status.Status(Markup.Escape(line));
            }
        });
    }

    /// <summary>Per peer replica: the exchanges with it.</summary>
    private sealed record PeerTotals(string Peer, int Compared, int InSync, int Repaired, int KeysRepaired, long Bytes, int TombstonesRemoved);

    private static List<PeerTotals> ByPeer(RepairResult result) =>
        result.Exchanges.Where(e => e.Peer.Length > 0)
            .GroupBy(e => e.Peer, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new PeerTotals(g.Key, g.Count(e => e.Ran), g.Count(e => e.Outcome == RepairExchange.InSync),
                g.Count(e => e.Outcome == RepairExchange.Repaired), g.Sum(e => e.KeysRepaired), g.Sum(e => e.Bytes), g.Sum(e => e.TombstonesRemoved)))
            .ToList();

    private static void WriteText(CommandContext ctx, RepairResult result)
    {
        var peers = ByPeer(result);
        string with = peers.Count == 0 ? "" : $" with {string.Join(", ", peers.Select(p => p.Peer))}";
        var line = $"repair on {result.Silo}: compared {result.Compared} of {ReplicaCount.Of(result.Exchanges.Count, "partition tree")}{with}: " +
            $"{result.InSync} in sync, {result.Repaired} repaired";
        if (result.NotRun > 0)
        {
            line += $"; {result.NotRun} not run (" +
                string.Join(", ", result.Exchanges.Where(e => !e.Ran).GroupBy(e => e.Outcome).Select(g => $"{g.Count()} {g.Key}")) + ")";
        }
        if (result.StillRunning > 0) line += $"; {result.StillRunning} still running when the silo answered";
        ctx.Out.WriteLine(line);
        ctx.Out.WriteLine($"{ReplicaCount.Of(result.KeysRepaired, "key")} repaired, {ReplicaCount.Of(result.Bytes, "byte")} exchanged, " +
            $"{ReplicaCount.Of(result.TombstonesRemoved, "tombstone")} removed");

        if (peers.Count > 0)
        {
            var byPeer = new Table().AddColumns("Peer", "Compared", "In sync", "Repaired", "Keys repaired", "Bytes", "Tombstones removed");
            foreach (var p in peers)
                byPeer.AddRow(Markup.Escape(p.Peer), Number(p.Compared), Number(p.InSync), Number(p.Repaired), Number(p.KeysRepaired), Number(p.Bytes), Number(p.TombstonesRemoved));
            ctx.Ansi.Write(byPeer);
        }

        var changed = result.Exchanges.Where(e => e.Outcome == RepairExchange.Repaired || e.KeysRepaired > 0 || e.TombstonesRemoved > 0).ToList();
        if (changed.Count > 0)
        {
            var byPartition = new Table().AddColumns("Partition", "N", "Peer", "Differing ranges", "Keys repaired", "Bytes", "Tombstones removed");
            foreach (var e in changed)
            {
                byPartition.AddRow(Number(e.Partition), Number(e.N), Markup.Escape(e.Peer), Number(e.DifferingSegments), Number(e.KeysRepaired),
                    Number(e.Bytes), Number(e.TombstonesRemoved));
            }
            ctx.Ansi.Write(byPartition);
        }
        else if (result.Compared > 0)
        {
            ctx.Out.WriteLine("every partition tree compared was in sync with its peer");
        }
        // What did not run, one line per reason (a silo holds up to Q partitions: no row each).
        foreach (var group in result.Exchanges.Where(e => !e.Ran).GroupBy(e => (e.Outcome, e.Detail)).OrderBy(g => g.Key.Outcome, StringComparer.Ordinal))
        {
            string why = group.Key.Detail.Length == 0 ? group.Key.Outcome : $"{group.Key.Outcome}: {group.Key.Detail}";
            int partitions = group.Select(e => e.Partition).Distinct().Count();
            ctx.Out.WriteLine($"not compared ({why}): {ReplicaCount.Of(group.Count(), "tree")} in {(partitions == 1 ? "partition" : "partitions")} " +
                Ranges(group.Select(e => e.Partition)));
        }
    }

    /// <summary>"0-63", "3, 7-9": sorted distinct partitions as ranges.</summary>
    private static string Ranges(IEnumerable<int> partitions)
    {
        var sorted = partitions.Distinct().Order().ToList();
        var parts = new List<string>();
        for (int i = 0; i < sorted.Count;)
        {
            int j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            parts.Add(j == i ? Number(sorted[i]) : $"{Number(sorted[i])}-{Number(sorted[j])}");
            i = j + 1;
        }
        return string.Join(", ", parts);
    }

    private static void WriteJson(CommandContext ctx, RepairResult result) => JsonOut.Write(ctx.Io, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("silo", result.Silo);
        writer.WriteString("message", result.Message);
        writer.WriteNumber("compared", result.Compared);
        writer.WriteNumber("inSync", result.InSync);
        writer.WriteNumber("repaired", result.Repaired);
        writer.WriteNumber("notRun", result.NotRun);
        writer.WriteNumber("stillRunning", result.StillRunning);
        writer.WriteNumber("keysRepaired", result.KeysRepaired);
        writer.WriteNumber("bytes", result.Bytes);
        writer.WriteNumber("tombstonesRemoved", result.TombstonesRemoved);
        writer.WriteStartArray("peers");
        foreach (var p in ByPeer(result))
        {
            writer.WriteStartObject();
            writer.WriteString("peer", p.Peer);
            writer.WriteNumber("compared", p.Compared);
            writer.WriteNumber("inSync", p.InSync);
            writer.WriteNumber("repaired", p.Repaired);
            writer.WriteNumber("keysRepaired", p.KeysRepaired);
            writer.WriteNumber("bytes", p.Bytes);
            writer.WriteNumber("tombstonesRemoved", p.TombstonesRemoved);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("exchanges");
        foreach (var e in result.Exchanges)
        {
            writer.WriteStartObject();
            writer.WriteNumber("partition", e.Partition);
            writer.WriteNumber("n", e.N);
            writer.WriteString("peer", e.Peer);
            writer.WriteString("outcome", e.Outcome);
            writer.WriteNumber("differingSegments", e.DifferingSegments);
            writer.WriteNumber("keysRepaired", e.KeysRepaired);
            writer.WriteNumber("bytes", e.Bytes);
            writer.WriteNumber("tombstonesRemoved", e.TombstonesRemoved);
            writer.WriteNumber("elapsedMs", (long)e.Elapsed.TotalMilliseconds);
            writer.WriteString("detail", e.Detail);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
