using System.CommandLine;
using OrleansDynamo.Cli.Output;
using Spectre.Console;

namespace OrleansDynamo.Cli.Commands;

/// <summary><c>dynamo status</c>: the silos as the first --endpoint sees them, its transfers, hints and counters.</summary>
public static class StatusCommand
{
    public static Command Create(CliConsole io)
    {
        var command = new Command("status", "Show the silos, their health and partitions, transfers, hints waiting and counters");
        command.SetAction((parseResult, cancellationToken) => CommandContext.RunAsync(parseResult, io, cancellationToken, async (ctx, ct) =>
        {
            var status = await ctx.Client.GetStatusAsync(ctx.FirstEndpoint, ct);
            if (ctx.Json)
            {
                JsonOut.Write(ctx.Io, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("silo", status.Silo);
                    writer.WriteStartArray("silos");
                    foreach (var silo in status.Silos) JsonOut.WriteSilo(writer, silo);
                    writer.WriteEndArray();
                    writer.WriteStartArray("transfers");
                    foreach (var t in status.Transfers)
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("partition", t.Partition);
                        writer.WriteString("from", t.FromSilo);
                        writer.WriteString("to", t.ToSilo);
                        writer.WriteNumber("keysSent", t.KeysSent);
                        writer.WriteNumber("keysTotal", t.KeysTotal);
                        writer.WriteString("state", t.State);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WriteStartArray("ringChange");
                    foreach (var r in status.TransferSummaries)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("silo", r.Silo);
                        writer.WriteBoolean("answered", r.Answered);
                        writer.WriteNumber("partitionsToSend", r.PartitionsToSend);
                        writer.WriteNumber("partitionsToReceive", r.PartitionsToReceive);
                        writer.WriteNumber("keysSent", r.KeysSent);
                        writer.WriteNumber("keysLeft", r.KeysLeft);
                        writer.WriteNumber("keysPerSecond", r.KeysPerSecond);
                        if (r.EtaSeconds is { } eta) writer.WriteNumber("etaSeconds", Math.Round(eta, 1));
                        else writer.WriteNull("etaSeconds");
                        writer.WriteNumber("pace", r.Pace);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WriteBoolean("ringChangeComplete", status.RingChangeComplete);
                    writer.WriteStartObject("hintsWaiting");
                    foreach (var (target, count) in status.HintsWaiting.OrderBy(h => h.Key, StringComparer.Ordinal)) writer.WriteNumber(target, count);
                    writer.WriteEndObject();
                    writer.WriteStartObject("counters");
                    foreach (var (name, value) in status.Counters.OrderBy(c => c.Key, StringComparer.Ordinal)) writer.WriteNumber(name, value);
                    writer.WriteEndObject();
                    if (status.Process is { } p)
                    {
                        writer.WriteStartObject("process");
                        writer.WriteNumber("uptimeSeconds", p.UptimeSeconds);
                        writer.WriteString("version", p.Version);
                        writer.WriteNumber("cpuPercent", p.CpuPercent);
                        writer.WriteNumber("workingSetBytes", p.WorkingSetBytes);
                        writer.WriteNumber("gcHeapBytes", p.GcHeapBytes);
                        writer.WriteNumber("gen0Collections", p.Gen0Collections);
                        writer.WriteNumber("gen1Collections", p.Gen1Collections);
                        writer.WriteNumber("gen2Collections", p.Gen2Collections);
                        writer.WriteNumber("gcPauseSeconds", p.GcPauseSeconds);
                        writer.WriteNumber("processorCount", p.ProcessorCount);
                        writer.WriteEndObject();
                    }
                    writer.WriteEndObject();
                });
                return ExitCodes.Success;
            }

            ctx.Ansi.MarkupLine($"answered by [bold]{Markup.Escape(status.Silo)}[/] ({Markup.Escape(ctx.FirstEndpoint)})");
            if (status.Process is { } process)
                ctx.Ansi.MarkupLine(Markup.Escape(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"version {process.Version}, up {TimeSpan.FromSeconds(Math.Floor(process.UptimeSeconds))}, CPU {process.CpuPercent:0.0}% of {process.ProcessorCount} cores, " +
                    $"working set {process.WorkingSetBytes / 1048576} MiB, GC heap {process.GcHeapBytes / 1048576} MiB, " +
                    $"GC {process.Gen0Collections}/{process.Gen1Collections}/{process.Gen2Collections} (gen 0/1/2), pause {process.GcPauseSeconds:0.00} s")));
            var silos = new Table().AddColumns("Silo", "Address", "Zone", "Status", "Partitions", "Replicas");
            foreach (var silo in status.Silos)
            {
                silos.AddRow(
                    new Text(silo.Name),
                    new Text(silo.Address),
                    new Text(silo.Zone),
                    new Markup(StatusMarkup(silo.Status)),
                    new Text(silo.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Text(silo.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
            ctx.Ansi.Write(silos);

            if (status.TransferSummaries.Any(r => !r.Idle))
            {
                var change = new Table().AddColumns("Silo", "To send", "To receive", "Keys sent", "Keys left", "Keys/s", "Time left", "Pace");
                foreach (var r in status.TransferSummaries)
                {
                    if (!r.Answered)
                    {
                        change.AddRow(new Text(r.Silo), new Markup("[red]no answer[/]"), new Text(""), new Text(""), new Text(""), new Text(""), new Text(""), new Text(""));
                        continue;
                    }
                    change.AddRow(Markup.Escape(r.Silo), Count(r.PartitionsToSend) + " partitions", Count(r.PartitionsToReceive) + " partitions", Count(r.KeysSent),
                        "~" + Count(r.KeysLeft), Count((long)r.KeysPerSecond), r.EtaSeconds is { } eta ? $"~{eta:0} s" : "",
                        r.Pace >= 1 ? "full" : $"{r.Pace:P0} (foreground p99 high)");
                }
                ctx.Ansi.Write(change);
            }
            if (status.Transfers.Count > 0)
            {
                var transfers = new Table().AddColumns("Partition", "From", "To", "Keys sent", "Of", "State");
                foreach (var t in status.Transfers)
                    transfers.AddRow(Count(t.Partition), Markup.Escape(t.FromSilo), Markup.Escape(t.ToSilo), Count(t.KeysSent),
                        t.KeysTotal > 0 ? Count(t.KeysTotal) : "", Markup.Escape(t.State));
                ctx.Ansi.Write(transfers);
            }
            if (status.HintsWaiting.Count > 0)
            {
                var hints = new Table().AddColumns("Hints for", "Waiting");
                foreach (var (target, count) in status.HintsWaiting.OrderBy(h => h.Key, StringComparer.Ordinal))
                    hints.AddRow(Markup.Escape(target), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                ctx.Ansi.Write(hints);
            }
            if (status.Counters.Count > 0)
            {
                var counters = new Table().AddColumns("Counter", "Value");
                foreach (var (name, value) in status.Counters.OrderBy(c => c.Key, StringComparer.Ordinal))
                    counters.AddRow(Markup.Escape(name), value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                ctx.Ansi.Write(counters);
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static string Count<T>(T value) where T : IFormattable => value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);

    internal static string StatusMarkup(string status) => status switch
    {
        "up" => "[green]up[/]",
        "unreachable" => "[red]unreachable[/]",
        _ => $"[yellow]{Markup.Escape(status)}[/]",
    };
}
