using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace OrleansDynamo.Cli.Bench;

/// <summary>Prints a <see cref="BenchReport"/> as tables, or as one JSON object.</summary>
public static class BenchReportWriter
{
    /// <summary>The text report: run settings, then the operations, errors and versions-per-get tables.</summary>
    public static void WriteText(IAnsiConsole console, BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        string quorum = report.R is null && report.W is null ? "" : $", R={Show(report.R)} W={Show(report.W)}";
        string coordination = report.Coordination.Length == 0 ? "" : $", {report.Coordination}-coordinated";
        console.MarkupLine(Markup.Escape(
            $"{report.Target} ({string.Join(", ", report.Endpoints)}): workload {report.Workload}, {report.Distribution} over {report.Keys:N0} keys, " +
            $"{report.ValueSize:N0}-byte values, {report.Concurrency} in flight{coordination}{quorum}"));
        if (report.PreloadedKeys > 0 || report.PreloadErrors > 0)
        {
            console.MarkupLine(Markup.Escape(
                $"preload: {report.PreloadedKeys:N0} keys in {report.PreloadSeconds:F1} s ({report.PreloadedKeys / Math.Max(report.PreloadSeconds, 1e-9):N0} puts/s), {report.PreloadErrors:N0} errors"));
        }
        console.MarkupLine(Markup.Escape(
            $"{report.Ops:N0} ops in {report.Seconds:F1} s = {report.OpsPerSecond:N0} ops/s, {report.Errors:N0} errors{(report.Interrupted ? " (interrupted)" : "")}"));

        bool lanes = report.Operations.Any(o => o.Lane.Length > 0);
        var ops = new Table().AddColumn("Op");
        if (lanes) ops.AddColumn("Coordination");
        foreach (var heading in new[] { "Ops", "Ops/s", "p50 ms", "p99 ms", "p99.9 ms", "Max ms", "Mean ms", "Errors" })
            ops.AddColumn(new TableColumn(heading).RightAligned());
        foreach (var row in report.Operations)
        {
            var cells = new List<string> { row.Op };
            if (lanes) cells.Add(row.Lane);
            cells.AddRange([
                row.Count.ToString("N0", CultureInfo.InvariantCulture), row.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                Ms(row.Latency.P50Ms), Ms(row.Latency.P99Ms), Ms(row.Latency.P999Ms), Ms(row.Latency.MaxMs), Ms(row.Latency.MeanMs),
                row.Errors.ToString("N0", CultureInfo.InvariantCulture),
            ]);
            ops.AddRow(cells.Select(c => new Text(c)).ToArray());
        }
        console.Write(ops);

        if (report.Slices.Count > 0)
        {
            var slices = new Table();
            foreach (var heading in new[] { "From s", "Ops/s", "p50 ms", "p99 ms", "p99.9 ms", "Max ms", "Errors" })
                slices.AddColumn(new TableColumn(heading).RightAligned());
            foreach (var slice in report.Slices)
            {
                slices.AddRow(new Text(slice.StartSeconds.ToString("F0", CultureInfo.InvariantCulture)), new Text(slice.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)),
                    new Text(Ms(slice.Latency.P50Ms)), new Text(Ms(slice.Latency.P99Ms)), new Text(Ms(slice.Latency.P999Ms)), new Text(Ms(slice.Latency.MaxMs)),
                    new Text(slice.Errors.ToString("N0", CultureInfo.InvariantCulture)));
            }
            console.Write(slices);
        }

        if (report.ErrorsByKind.Count > 0)
        {
            var errors = new Table().AddColumn("Error").AddColumn(new TableColumn("Count").RightAligned());
            foreach (var (kind, count) in report.ErrorsByKind) errors.AddRow(new Text(kind), new Text(count.ToString("N0", CultureInfo.InvariantCulture)));
            console.Write(errors);
        }

        if (report.Versions.Any(v => v.Found + v.NotFound > 0))
        {
            var versions = new Table();
            if (lanes) versions.AddColumn("Coordination");
            foreach (var heading in new[] { "Gets", "Not found", "1 version", "2 versions", "3 versions", "4+ versions" })
                versions.AddColumn(new TableColumn(heading).RightAligned());
            foreach (var v in report.Versions)
            {
                var cells = new List<string>();
                if (lanes) cells.Add(v.Lane);
                cells.Add((v.Found + v.NotFound).ToString("N0", CultureInfo.InvariantCulture));
                cells.Add(v.NotFound.ToString("N0", CultureInfo.InvariantCulture));
                foreach (long n in new[] { v.One, v.Two, v.Three, v.FourOrMore })
                    cells.Add($"{n:N0} ({Share(n, v.Found)})");
                versions.AddRow(cells.Select(c => new Text(c)).ToArray());
            }
            console.Write(versions);
        }
    }

    /// <summary>The JSON report: one object with settings, totals, operations, errors and versions.</summary>
    public static void WriteJson(Utf8JsonWriter writer, BenchReport report)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(report);
        writer.WriteStartObject();
        writer.WriteString("target", report.Target);
        writer.WriteStartArray("endpoints");
        foreach (var endpoint in report.Endpoints) writer.WriteStringValue(endpoint);
        writer.WriteEndArray();
        writer.WriteString("workload", report.Workload);
        writer.WriteString("distribution", report.Distribution);
        writer.WriteString("coordination", report.Coordination);
        writer.WriteNumber("concurrency", report.Concurrency);
        writer.WriteNumber("keys", report.Keys);
        writer.WriteNumber("valueSize", report.ValueSize);
        if (report.R is { } r) writer.WriteNumber("r", r); else writer.WriteNull("r");
        if (report.W is { } w) writer.WriteNumber("w", w); else writer.WriteNull("w");
        writer.WriteStartObject("preload");
        writer.WriteNumber("keys", report.PreloadedKeys);
        writer.WriteNumber("seconds", Round(report.PreloadSeconds));
        writer.WriteNumber("errors", report.PreloadErrors);
        writer.WriteEndObject();
        writer.WriteNumber("seconds", Round(report.Seconds));
        writer.WriteNumber("ops", report.Ops);
        writer.WriteNumber("opsPerSecond", Round(report.OpsPerSecond));
        writer.WriteNumber("errors", report.Errors);
        writer.WriteBoolean("interrupted", report.Interrupted);
        writer.WriteStartArray("operations");
        foreach (var row in report.Operations)
        {
            writer.WriteStartObject();
            writer.WriteString("op", row.Op);
            writer.WriteString("lane", row.Lane);
            writer.WriteNumber("ops", row.Count);
            writer.WriteNumber("opsPerSecond", Round(row.OpsPerSecond));
            writer.WriteNumber("errors", row.Errors);
            writer.WriteStartObject("latencyMs");
            writer.WriteNumber("p50", Round(row.Latency.P50Ms));
            writer.WriteNumber("p99", Round(row.Latency.P99Ms));
            writer.WriteNumber("p999", Round(row.Latency.P999Ms));
            writer.WriteNumber("max", Round(row.Latency.MaxMs));
            writer.WriteNumber("mean", Round(row.Latency.MeanMs));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("slices");
        foreach (var slice in report.Slices)
        {
            writer.WriteStartObject();
            writer.WriteNumber("start", Round(slice.StartSeconds));
            writer.WriteNumber("seconds", Round(slice.Seconds));
            writer.WriteNumber("ops", slice.Count);
            writer.WriteNumber("opsPerSecond", Round(slice.OpsPerSecond));
            writer.WriteNumber("errors", slice.Errors);
            writer.WriteStartObject("latencyMs");
            writer.WriteNumber("p50", Round(slice.Latency.P50Ms));
            writer.WriteNumber("p99", Round(slice.Latency.P99Ms));
            writer.WriteNumber("p999", Round(slice.Latency.P999Ms));
            writer.WriteNumber("max", Round(slice.Latency.MaxMs));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartObject("errorsByKind");
        foreach (var (kind, count) in report.ErrorsByKind) writer.WriteNumber(kind, count);
        writer.WriteEndObject();
        writer.WriteStartArray("versionsPerGet");
        foreach (var v in report.Versions)
        {
            writer.WriteStartObject();
            writer.WriteString("lane", v.Lane);
            writer.WriteNumber("notFound", v.NotFound);
            writer.WriteNumber("1", v.One);
            writer.WriteNumber("2", v.Two);
            writer.WriteNumber("3", v.Three);
            writer.WriteNumber("4+", v.FourOrMore);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The live progress line's text.</summary>
    public static string Describe(BenchProgress progress, BenchSettings settings) => progress.Phase switch
    {
        BenchPhase.Connecting => "connecting…",
        BenchPhase.Preloading => string.Create(CultureInfo.InvariantCulture,
            $"preload {progress.Preloaded:N0}/{settings.Keys:N0} keys, {progress.Preloaded / Math.Max(progress.PhaseSeconds, 1e-9):N0} puts/s"),
        BenchPhase.WarmingUp => string.Create(CultureInfo.InvariantCulture, $"warm-up {progress.PhaseSeconds:F1}/{settings.Warmup.TotalSeconds:0.#} s"),
        BenchPhase.Running => string.Create(CultureInfo.InvariantCulture,
            $"{progress.PhaseSeconds:F1}/{settings.Duration.TotalSeconds:0.#} s  {progress.Ops:N0} ops  {progress.Ops / Math.Max(progress.PhaseSeconds, 1e-9):N0} ops/s  p99 {progress.P99Ms:F2} ms  {progress.Errors:N0} errors"),
        _ => "done",
    };

    private static string Show(uint? quorum) => quorum?.ToString(CultureInfo.InvariantCulture) ?? "bucket";

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "F3" : "F1", CultureInfo.InvariantCulture);

    private static string Share(long n, long of) => of == 0 ? "-" : (100.0 * n / of).ToString("F3", CultureInfo.InvariantCulture) + "%";

    private static double Round(double value) => Math.Round(value, 4);
}
