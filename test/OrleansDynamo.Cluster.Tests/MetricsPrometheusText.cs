using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>One sample line of Prometheus text.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4: every line is a HELP, a TYPE or a
/// sample; names and label names match the grammar; label values use only the three escapes; every
/// sample belongs to a family whose TYPE came first; a family is declared once; no series repeats;
/// histogram buckets are cumulative and end in +Inf equal to _count. Throws FormatException naming
/// the line on anything else.
/// </summary>
public static partial class MetricsPrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static (IReadOnlyDictionary<string, string> Types, IReadOnlyList<PrometheusSample> Samples) Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        if (lines.Length == 0 || lines[^1] != "") throw new FormatException("the text must end with a newline");
        for (int n = 0; n < lines.Length - 1; n++)
        {
            string line = lines[n];
            string where = $"line {n + 1} '{line}'";
            if (line.Length == 0) throw new FormatException($"{where}: empty line");
            if (line.StartsWith('#'))
            {
                var m = CommentLine().Match(line);
                if (!m.Success) throw new FormatException($"{where}: a comment must be '# HELP name text' or '# TYPE name type'");
                string name = m.Groups["name"].Value;
                if (m.Groups["kind"].Value == "TYPE")
                {
                    string type = m.Groups["rest"].Value;
                    if (!Types.Contains(type)) throw new FormatException($"{where}: unknown type '{type}'");
                    if (!types.TryAdd(name, type)) throw new FormatException($"{where}: family {name} declared twice");
                    if (samples.Any(s => FamilyOf(s.Name, types) == name)) throw new FormatException($"{where}: TYPE after samples of {name}");
                }
                continue;
            }
            var sample = ParseSample(line, where);
            string? family = FamilyOf(sample.Name, types);
            if (family is null) throw new FormatException($"{where}: sample of a family with no TYPE line");
            string key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value)) + "}";
            if (!seen.Add(key)) throw new FormatException($"{where}: series {key} repeats");
            if (types[family] == "counter" && (sample.Value < 0 || double.IsNaN(sample.Value))) throw new FormatException($"{where}: a counter must not be negative");
            samples.Add(sample);
        }
        CheckHistograms(types, samples);
        return (types, samples);
    }

    private static string? FamilyOf(string sampleName, IReadOnlyDictionary<string, string> types)
    {
        if (types.ContainsKey(sampleName)) return sampleName;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                string family = sampleName[..^suffix.Length];
                if (types.TryGetValue(family, out var t) && t is "histogram" or "summary") return family;
            }
        }
        return null;
    }

    private static PrometheusSample ParseSample(string line, string where)
    {
        int i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':')) i++;
        string name = line[..i];
        if (!MetricName().IsMatch(name)) throw new FormatException($"{where}: bad metric name '{name}'");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }
                int start = i;
                while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')) i++;
                string label = line[start..i];
                if (!LabelName().IsMatch(label)) throw new FormatException($"{where}: bad label name '{label}'");
                if (i + 1 >= line.Length || line[i] != '=' || line[i + 1] != '"') throw new FormatException($"{where}: expected =\" after {label}");
                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length) throw new FormatException($"{where}: unterminated label value");
                    char c = line[i++];
                    if (c == '"') break;
                    if (c == '\\')
                    {
                        if (i >= line.Length) throw new FormatException($"{where}: dangling escape");
                        char e = line[i++];
                        value.Append(e switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"{where}: bad escape \\{e}"),
                        });
                    }
                    else value.Append(c);
                }
                if (!labels.TryAdd(label, value.ToString())) throw new FormatException($"{where}: label {label} repeats");
                if (i < line.Length && line[i] == ',') i++;
                else if (i >= line.Length || line[i] != '}') throw new FormatException($"{where}: expected , or }} after a label");
            }
        }
        if (i >= line.Length || line[i] != ' ') throw new FormatException($"{where}: expected one space before the value");
        var parts = line[(i + 1)..].Split(' ');
        if (parts.Length is < 1 or > 2 || parts.Any(p => p.Length == 0)) throw new FormatException($"{where}: expected a value and an optional timestamp");
        double v = parts[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            var s => throw new FormatException($"{where}: bad value '{s}'"),
        };
        if (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            throw new FormatException($"{where}: bad timestamp '{parts[1]}'");
        return new PrometheusSample(name, labels, v);
    }

    private static void CheckHistograms(IReadOnlyDictionary<string, string> types, List<PrometheusSample> samples)
    {
        foreach (var (family, _) in types.Where(t => t.Value == "histogram"))
        {
            var buckets = samples.Where(s => s.Name == family + "_bucket")
                .GroupBy(s => string.Join(",", s.Labels.Where(kv => kv.Key != "le").OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value)));
            foreach (var series in buckets)
            {
                double last = 0;
                double lastLe = double.NegativeInfinity;
                foreach (var b in series)
                {
                    if (!b.Labels.TryGetValue("le", out var leText)) throw new FormatException($"{family}: a bucket without le");
                    double le = leText == "+Inf" ? double.PositiveInfinity : double.Parse(leText, CultureInfo.InvariantCulture);
                    if (le <= lastLe) throw new FormatException($"{family}{{{series.Key}}}: le must increase");
                    if (b.Value < last) throw new FormatException($"{family}{{{series.Key}}}: buckets must be cumulative");
                    last = b.Value;
                    lastLe = le;
                }
                if (!double.IsPositiveInfinity(lastLe)) throw new FormatException($"{family}{{{series.Key}}}: the last bucket must be +Inf");
                var count = samples.SingleOrDefault(s => s.Name == family + "_count" && SameSeries(s, series.First()))
                    ?? throw new FormatException($"{family}{{{series.Key}}}: no _count");
                if (count.Value != last) throw new FormatException($"{family}{{{series.Key}}}: +Inf bucket {last} != _count {count.Value}");
                if (!samples.Any(s => s.Name == family + "_sum" && SameSeries(s, series.First()))) throw new FormatException($"{family}{{{series.Key}}}: no _sum");
            }
        }
    }

    private static bool SameSeries(PrometheusSample a, PrometheusSample bucket) =>
        a.Labels.Count == bucket.Labels.Count - 1 && a.Labels.All(kv => bucket.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.*)$")]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();
}
