using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// Serves one <see cref="Meter"/>'s instruments as Prometheus text (exposition format 0.0.4) without
/// a Prometheus package: a <see cref="MeterListener"/> that listens to that meter object only (every
/// silo in a test process has its own), sums counters, keeps gauges' last value and buckets
/// histograms, per tag set. Observable instruments are read at each scrape.
/// </summary>
public sealed class MetricsPrometheusExporter : IDisposable
{
    /// <summary>Histogram bucket bounds used when an instrument gives no advice.</summary>
    private static readonly double[] DefaultBounds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly MeterListener _listener;
    private readonly object _gate = new();
    private readonly object _scrapeGate = new();
    private readonly Dictionary<Instrument, Family> _families = [];

    public MetricsPrometheusExporter(Meter meter)
    {
        _meter = meter;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (!ReferenceEquals(instrument.Meter, _meter)) return;
                lock (_gate) _families[instrument] = new Family(instrument);
                listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.Start();
    }

    /// <summary>The Prometheus text of every instrument, observable ones read now.</summary>
    public string Scrape()
    {
        lock (_scrapeGate) return ScrapeLocked();
    }

    private string ScrapeLocked()
    {
        lock (_gate)
        {
            foreach (var family in _families.Values)
            {
                if (family.Observable) family.Series.Clear();
            }
        }
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        lock (_gate)
        {
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal)) family.Write(text, _meter.Tags);
        }
        return text.ToString();
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = CachedLabels(tags);
        lock (_gate)
        {
            if (_families.TryGetValue(instrument, out var family)) family.Record(labels, value);
        }
    }

    /// <summary>
    /// The label text of a measurement. Every request records a few measurements with one of a handful of tag
    /// sets, so the text is built once per tag set (up to three tags) instead of once per measurement.
    /// </summary>
    private string CachedLabels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length is 0 or > 3) return Labels(tags);
        var key = new LabelKey(
            tags[0].Key, tags[0].Value,
            tags.Length > 1 ? tags[1].Key : null, tags.Length > 1 ? tags[1].Value : null,
            tags.Length > 2 ? tags[2].Key : null, tags.Length > 2 ? tags[2].Value : null);
        if (_labelCache.TryGetValue(key, out var cached)) return cached;
        var labels = Labels(tags);
        if (_labelCache.Count < MaxCachedLabelSets) _labelCache.TryAdd(key, labels);
        return labels;
    }

    private const int MaxCachedLabelSets = 4096;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<LabelKey, string> _labelCache = new();

    private readonly record struct LabelKey(string K1, object? V1, string? K2, object? V2, string? K3, object? V3);

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return "";
        var pairs = new List<KeyValuePair<string, object?>>(tags.Length);
        foreach (var t in tags) pairs.Add(t);
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var sb = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(SanitizeName(key)).Append("=\"").Append(EscapeLabel(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }
        return sb.ToString();
    }

    /// <summary>A Prometheus metric or label name: [a-zA-Z_:][a-zA-Z0-9_:]*.</summary>
    public static string SanitizeName(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (char c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0])) sb.Insert(0, '_');
        return sb.ToString();
    }

    private static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static string EscapeHelp(string value) => value.Replace("\\", "\\\\").Replace("\n", "\\n");

    public static string FormatValue(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();

    private enum Kind
    {
        Counter,
        Gauge,
        Histogram,
    }

    /// <summary>One instrument's series, by label set.</summary>
    private sealed class Family
    {
        private readonly Kind _kind;
        private readonly bool _cumulative;
        private readonly double[] _bounds;
        private readonly string? _help;

        public Family(Instrument instrument)
        {
            (_kind, _cumulative) = instrument switch
            {
                Counter<long> or Counter<int> or Counter<double> => (Kind.Counter, false),
                ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => (Kind.Counter, true),
                UpDownCounter<long> or UpDownCounter<int> or UpDownCounter<double> => (Kind.Gauge, false),
                Histogram<long> or Histogram<int> or Histogram<double> => (Kind.Histogram, false),
                _ => (Kind.Gauge, true),
            };
            Observable = instrument.IsObservable;
            _bounds = instrument is Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } ? [.. advised] : DefaultBounds;
            _help = instrument.Description;
            string name = SanitizeName(instrument.Name);
            name += instrument.Unit switch
            {
                "s" => "_seconds",
                "ms" => "_milliseconds",
                "By" => "_bytes",
                _ => "",
            };
            if (_kind == Kind.Counter) name += "_total";
            Name = name;
        }

        public string Name { get; }

        public bool Observable { get; }

        public Dictionary<string, Series> Series { get; } = new(StringComparer.Ordinal);

        public void Record(string labels, double value)
        {
            if (!Series.TryGetValue(labels, out var s)) Series[labels] = s = new Series(_kind == Kind.Histogram ? _bounds.Length + 1 : 0);
            switch (_kind)
            {
                case Kind.Counter or Kind.Gauge:
                    // Observable instruments report their current total; the others report increments.
                    s.Value = _cumulative ? value : s.Value + value;
                    break;
                case Kind.Histogram:
                    int i = Array.BinarySearch(_bounds, value);
                    if (i < 0) i = ~i;
                    s.Buckets[i]++;
                    s.Count++;
                    s.Value += value;
                    break;
            }
        }

        public void Write(StringBuilder text, IEnumerable<KeyValuePair<string, object?>>? meterTags)
        {
            if (Series.Count == 0) return;
            string common = meterTags is null ? "" : Labels([.. meterTags]);
            if (!string.IsNullOrEmpty(_help)) text.Append("# HELP ").Append(Name).Append(' ').Append(EscapeHelp(_help)).Append('\n');
            text.Append("# TYPE ").Append(Name).Append(' ').Append(_kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" }).Append('\n');
            foreach (var (labels, s) in Series.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                string all = Join(common, labels);
                if (_kind != Kind.Histogram)
                {
                    Sample(text, Name, all, s.Value);
                    continue;
                }
                long cumulative = 0;
                for (int b = 0; b < _bounds.Length; b++)
                {
                    cumulative += s.Buckets[b];
                    Sample(text, Name + "_bucket", Join(all, "le=\"" + FormatValue(_bounds[b]) + "\""), cumulative);
                }
                Sample(text, Name + "_bucket", Join(all, "le=\"+Inf\""), s.Count);
                Sample(text, Name + "_sum", all, s.Value);
                Sample(text, Name + "_count", all, s.Count);
            }
        }

        private static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + "," + b;

        private static void Sample(StringBuilder text, string name, string labels, double value)
        {
            text.Append(name);
            if (labels.Length > 0) text.Append('{').Append(labels).Append('}');
            text.Append(' ').Append(FormatValue(value)).Append('\n');
        }
    }

    private sealed class Series(int buckets)
    {
        public double Value;
        public long Count;
        public readonly long[] Buckets = new long[buckets];
    }
}
