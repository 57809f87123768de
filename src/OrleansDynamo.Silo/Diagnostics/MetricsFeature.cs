using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Dashboard;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// The silo's metrics (System.Diagnostics.Metrics, meter "OrleansDynamo", instruments under
/// orleansdynamo.*, every one tagged with the silo's name through the meter): request counts and
/// latencies on both sides, errors by kind, versions per get, and observable instruments over the
/// silo's counters, hints, transfers, partition key counts (one series per partition only with
/// <see cref="MetricsOptions.PerPartition"/>), the peers' reachability and the cluster's load balance. Keeps a
/// rolling window per operation for /api/stats. The meter comes from the host's
/// <see cref="IMeterFactory"/> when the silo has one, and OpenTelemetry exports it (<see cref="SiloTelemetry"/>).
/// </summary>
public sealed class MetricsFeature : ISiloFeature, IRequestObserver, IDisposable
{
    public const string MeterName = "OrleansDynamo";

    /// <summary>Well-known counter names the anti-entropy and transfer services count under.</summary>
    public const string AntiEntropyExchangesCounter = "antientropy_exchanges";
    public const string AntiEntropyKeysRepairedCounter = "antientropy_keys_repaired";
    public const string TransfersCompletedCounter = "transfers_completed";

    private static readonly double[] LatencyBounds =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Dictionary<(string Op, RequestSide Side), MetricsRollingWindow> _windows = [];
    private readonly long[] _versions = new long[4];
    private readonly object _cacheGate = new();
    private SiloRuntime _silo = null!;
    private DashboardOptions _options = null!;
    private Meter _meter = null!;
    private Counter<long> _requests = null!;
    private Counter<long> _errors = null!;
    private Histogram<double> _duration = null!;
    private Counter<long> _getVersions = null!;
    private HttpClient? _http;
    private DateTimeOffset _started;
    private bool _disposeRegistered;
    private IReadOnlyList<PartitionSummary> _summaries = [];
    private IReadOnlyDictionary<string, long> _hintsWaiting = new Dictionary<string, long>();
    private Dictionary<string, SiloLoad> _peerLoads = new(StringComparer.Ordinal);
    private MetricsEventWindow _events = null!;
    private Dictionary<string, ProcessStats> _peerProcesses = new(StringComparer.Ordinal);
    private ProcessSampler _process = null!;

    public DashboardOptions Options => _options;

    /// <summary>Partition key counts and bytes from the last refresh.</summary>
    public IReadOnlyList<PartitionSummary> PartitionSummaries
    {
        get { lock (_cacheGate) return _summaries; }
    }

    /// <summary>Hints waiting per target silo, from the last refresh.</summary>
    public IReadOnlyDictionary<string, long> HintsWaiting
    {
        get { lock (_cacheGate) return _hintsWaiting; }
    }

    /// <summary>Requests per second each silo handled (this one and the peers that answered the last refresh).</summary>
    public IReadOnlyDictionary<string, double> Loads() => SiloLoads().ToDictionary(kv => kv.Key, kv => kv.Value.Total, StringComparer.Ordinal);

    /// <summary>Each silo's load, by side (this one now, and the peers that answered the last refresh).</summary>
    public IReadOnlyDictionary<string, SiloLoad> SiloLoads()
    {
        Dictionary<string, SiloLoad> loads;
        lock (_cacheGate) loads = new Dictionary<string, SiloLoad>(_peerLoads, StringComparer.Ordinal);
        loads[_silo.Name] = OwnLoad();
        return loads;
    }

    /// <summary>This silo's process now.</summary>
    public ProcessStats OwnProcess() => _process.Sample();

    /// <summary>Each silo's process (this one now, and the peers that answered the last refresh).</summary>
    public IReadOnlyDictionary<string, ProcessStats> Processes()
    {
        Dictionary<string, ProcessStats> processes;
        lock (_cacheGate) processes = new Dictionary<string, ProcessStats>(_peerProcesses, StringComparer.Ordinal);
        processes[_silo.Name] = OwnProcess();
        return processes;
    }

    /// <summary>The fraction of silos whose load is more than the threshold off the mean.</summary>
    public double OutOfBalanceFraction() => MetricsStatsBuilder.OutOfBalanceFraction(Loads().Values.ToList(), _options.OutOfBalanceThreshold);

    /// <summary>The client for peers' HTTP APIs, made on first use (a simulated cluster never makes one).</summary>
    public HttpClient Http => LazyInitializer.EnsureInitialized(ref _http, () => new HttpClient(PeerHandler())
    {
        Timeout = TimeSpan.FromMilliseconds(_options.PeerTimeoutMs),
    });

    /// <summary>With TLS on, peers are called with this silo's certificate and trusted only if the cluster's authority issued theirs.</summary>
    private SocketsHttpHandler PeerHandler()
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        if (_silo.Options.Tls.Load() is { } tls)
        {
            handler.SslOptions.ClientCertificates = [tls.Certificate];
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is System.Security.Cryptography.X509Certificates.X509Certificate2 peer && tls.Trusts(peer, Protocol.Security.CertificateRole.Silo);
        }
        return handler;
    }

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _options = silo.Options.Dashboard;
        _started = silo.Time.GetUtcNow();
        foreach (var op in MetricsStatsBuilder.Operations)
        {
            _windows[(op, RequestSide.Coordinator)] = new MetricsRollingWindow(_options.StatsWindowSeconds);
            _windows[(op, RequestSide.Replica)] = new MetricsRollingWindow(_options.StatsWindowSeconds);
        }
        _process = new ProcessSampler(silo.Time);
        _events = new MetricsEventWindow(Math.Min(_options.StatsWindowSeconds, MetricsStatsBuilder.SeriesSeconds) + 1, MetricsStatsBuilder.EventCounters);
        silo.Counters.Observe((name, delta) => _events.Record(_silo.Time.GetUtcNow().ToUnixTimeSeconds(), name, delta));
        var meter = new MeterOptions(MeterName) { Tags = [new("silo", silo.Name)] };
        _meter = silo.Meters?.Create(meter) ?? new Meter(meter);
        CreateInstruments(silo.Options.Metrics.PerPartition);
        silo.Coordinator.AddObserver(this);
        silo.AddLoop("metrics-refresh", TimeSpan.FromMilliseconds(_options.RefreshIntervalMs), RefreshAsync);
    }

    private void CreateInstruments(bool perPartition)
    {
        _requests = _meter.CreateCounter<long>("orleansdynamo.requests", "{request}", "Requests handled, by operation and side (coordinator or replica).");
        _errors = _meter.CreateCounter<long>("orleansdynamo.request.errors", "{request}", "Requests that failed, by operation, side and error kind.");
        _duration = _meter.CreateHistogram<double>("orleansdynamo.request.duration", "s", "Request latency, by operation and side.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBounds });
        _getVersions = _meter.CreateCounter<long>("orleansdynamo.get.versions", "{get}", "Successful gets by the number of divergent versions returned (1, 2, 3, 4+).");

        Counter("orleansdynamo.hints.stored", CounterNames.HintsStored, "Hints stored for unreachable replicas.");
        Counter("orleansdynamo.hints.delivered", CounterNames.HintsDelivered, "Hints delivered to their intended silo.");
        Counter("orleansdynamo.hints.dropped", CounterNames.HintsDropped, "Hints dropped (too old or over the backlog bound).");
        Counter("orleansdynamo.hints.quarantined", CounterNames.HintsQuarantined, "Hints whose stored bytes did not decode, moved to the quarantine.");
        Counter("orleansdynamo.values.quarantined", CounterNames.ValuesQuarantined, "Stored values whose bytes did not decode, moved to the quarantine.");
        Counter("orleansdynamo.read_repairs", CounterNames.ReadRepairs, "Read repairs sent to stale replicas.");
        Counter("orleansdynamo.antientropy.exchanges", AntiEntropyExchangesCounter, "Anti-entropy exchanges finished.");
        Counter("orleansdynamo.antientropy.keys_repaired", AntiEntropyKeysRepairedCounter, "Keys repaired by anti-entropy.");
        Counter("orleansdynamo.transfers", TransfersCompletedCounter, "Ownership transfers finished.");
        _meter.CreateObservableCounter("orleansdynamo.silo.events", () => _silo.Counters.Snapshot()
            .Where(kv => !kv.Key.Contains(':'))
            .Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("counter", kv.Key))), "{event}",
            "Every counter of the silo (as `dynamo status` shows them), by name.");

        _meter.CreateObservableGauge("orleansdynamo.hints.waiting", () => HintsWaiting
            .Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("target", kv.Key))), "{hint}", "Hints waiting for delivery, by target silo.");
        _meter.CreateObservableGauge("orleansdynamo.transfers.active", () => _silo.TransferReporters.SelectMany(r => r.Transfers())
            .Count(t => !string.Equals(t.State, "done", StringComparison.OrdinalIgnoreCase)), "{transfer}", "Ownership transfers in progress.");
        _meter.CreateObservableGauge(PartitionKeysInstrument, () => ByPartition(perPartition, p => p.KeyCount), "{key}",
            perPartition ? "Keys stored on this silo, by partition." : "Keys stored on this silo (every partition replica it holds).");
        _meter.CreateObservableGauge(PartitionSizeInstrument, () => ByPartition(perPartition, p => p.Bytes), "By",
            perPartition ? "Bytes stored on this silo, by partition." : "Bytes stored on this silo (every partition replica it holds).");
        _meter.CreateObservableGauge("dynamo.peer.up", PeersUp, unit: null,
            "1 while this silo's failure detector sees the peer up, 0 while it sees it unreachable; by peer (every other member not leaving or left).");
        _meter.CreateObservableGauge("orleansdynamo.load", () => Loads()
            .Select(kv => new Measurement<double>(kv.Value, new KeyValuePair<string, object?>("peer", kv.Key))), "{request}/s",
            "Requests per second each silo handled over the stats window (coordinator and replica), as this silo last heard.");
        _meter.CreateObservableGauge("orleansdynamo.load.out_of_balance", OutOfBalanceFraction, "1",
            "Fraction of silos whose load is more than the threshold (15%) off the mean (Dynamo §6.2).");
        _meter.CreateObservableGauge("orleansdynamo.admission.slots", () => _silo.Admission is Admission.AdmissionController a ? a.Slots : -1, "{slot}",
            "Background work (hint delivery, transfers, anti-entropy) allowed at once by the admission controller; -1 when unlimited.");
        _meter.CreateObservableGauge("orleansdynamo.admission.in_use", () => _silo.Admission is Admission.AdmissionController a ? a.InUse : 0, "{slot}",
            "Background work running now under the admission controller.");
    }

    private const string PartitionKeysInstrument = "orleansdynamo.partition.keys";
    private const string PartitionSizeInstrument = "orleansdynamo.partition.size";

    /// <summary>True for the gauges that carry a series per partition when <see cref="MetricsOptions.PerPartition"/> is set.</summary>
    public static bool IsPerPartition(string instrument) => instrument is PartitionKeysInstrument or PartitionSizeInstrument;

    /// <summary>One measurement per partition, or one for the whole silo: Q series per gauge are too many to export by default.</summary>
    private IEnumerable<Measurement<long>> ByPartition(bool perPartition, Func<PartitionSummary, long> value)
    {
        var summaries = PartitionSummaries;
        return perPartition
            ? summaries.Select(p => new Measurement<long>(value(p), new KeyValuePair<string, object?>("partition", p.Partition)))
            : [new Measurement<long>(summaries.Sum(value))];
    }

    private IEnumerable<Measurement<int>> PeersUp() => _silo.Membership.State.Members.Values
        .Where(m => m.Name != _silo.Name && m.Status is not (MemberStatus.Leaving or MemberStatus.Left))
        .Select(m => new Measurement<int>(_silo.Detector.IsReachable(m.Name) ? 1 : 0, new KeyValuePair<string, object?>("peer", m.Name)));

    private void Counter(string name, string counter, string description) =>
        _meter.CreateObservableCounter(name, () => _silo.Counters.Get(counter), "{event}", description);

    public void OnRequest(in RequestEvent e)
    {
        var side = e.Side == RequestSide.Coordinator ? "coordinator" : "replica";
        var op = new KeyValuePair<string, object?>("operation", e.Operation);
        var sideTag = new KeyValuePair<string, object?>("side", side);
        _requests.Add(1, op, sideTag);
        _duration.Record(e.Elapsed.TotalSeconds, op, sideTag);
        if (e.Error is { } kind) _errors.Add(1, op, sideTag, new KeyValuePair<string, object?>("kind", kind.ToString()));
        else if (e.Side == RequestSide.Coordinator && e.Operation == "get" && e.Versions > 0)
        {
            int bucket = Math.Min(e.Versions, 4) - 1;
            Interlocked.Increment(ref _versions[bucket]);
            _getVersions.Add(1, new KeyValuePair<string, object?>("versions", VersionLabel(bucket)));
        }
        if (_windows.TryGetValue((e.Operation, e.Side), out var window))
            window.Record(_silo.Time.GetUtcNow().ToUnixTimeSeconds(), (long)(e.Elapsed.Ticks / 10), e.Error is not null);
    }

    private static string VersionLabel(int bucket) => bucket == 3 ? "4+" : (bucket + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Seconds of history the window holds now: the window, or less just after start.</summary>
    private double CoveredSeconds(DateTimeOffset now)
    {
        double elapsed = (now - _started).TotalSeconds;
        double full = _options.StatsWindowSeconds - 1 + (now.ToUnixTimeMilliseconds() % 1000) / 1000.0;
        return Math.Max(1.0, Math.Min(elapsed, full));
    }

    private SiloLoad OwnLoad()
    {
        var now = _silo.Time.GetUtcNow();
        long second = now.ToUnixTimeSeconds();
        double covered = CoveredSeconds(now);
        double Side(RequestSide side) => _windows.Where(kv => kv.Key.Side == side).Sum(kv => kv.Value.Totals(second).Latency.Count) / covered;
        double coordinated = Side(RequestSide.Coordinator), replica = Side(RequestSide.Replica);
        return new SiloLoad(Math.Round(coordinated + replica, 3), Math.Round(coordinated, 3), Math.Round(replica, 3), HintsWaiting.Values.Sum());
    }

    /// <summary>This silo's window in mergeable form.</summary>
    public RawStats RawStats()
    {
        var now = _silo.Time.GetUtcNow();
        long second = now.ToUnixTimeSeconds();
        double covered = CoveredSeconds(now);
        var series = new List<RawSeries>();
        long total = 0, coordinated = 0;
        var perSecond = new MetricsLatencyHistogram[Math.Min(_options.StatsWindowSeconds, MetricsStatsBuilder.SeriesSeconds)];
        foreach (var ((op, side), window) in _windows)
        {
            var totals = window.Totals(second);
            total += totals.Latency.Count;
            if (side == RequestSide.Coordinator) coordinated += totals.Latency.Count;
            series.Add(new RawSeries(op, side == RequestSide.Coordinator ? "coordinator" : "replica", totals.Latency.Count / covered, totals.Errors, RawHistogram.Of(totals.Latency)));
            if (side != RequestSide.Coordinator) continue;
            var seconds = window.PerSecond(second - 1, perSecond.Length);
            for (int i = 0; i < seconds.Length; i++)
            {
                if (perSecond[i] is null) perSecond[i] = seconds[i];
                else perSecond[i].Add(seconds[i]);
            }
        }
        var raw = new List<RawSecond>();
        for (int i = 0; i < perSecond.Length; i++)
        {
            if (perSecond[i] is { Count: > 0 } h) raw.Add(new RawSecond(second - perSecond.Length + i, RawHistogram.Of(h)));
        }
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < _versions.Length; i++) versions[VersionLabel(i)] = Interlocked.Read(ref _versions[i]);
        var counters = _silo.Counters.Snapshot().Where(kv => !kv.Key.Contains(':')).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new RawStats(_silo.Name, second, _options.StatsWindowSeconds, Math.Round(total / covered, 3), [.. series], [.. raw], versions, counters,
            OwnProcess(), Math.Round(coordinated / covered, 3), Math.Round((total - coordinated) / covered, 3), HintsWaiting.Values.Sum(),
            _events.PerSecond(second - 1, perSecond.Length));
    }

    /// <summary>
    /// Stats of this silo, or of the cluster when <paramref name="cluster"/>: then every other silo
    /// that this silo sees up is asked for its raw window over HTTP and the windows are merged.
    /// </summary>
    public async Task<StatsReport> StatsAsync(bool cluster, CancellationToken ct)
    {
        var own = RawStats();
        if (!cluster) return MetricsStatsBuilder.Build(_silo.Name, "silo", [own], []);
        var peers = Peers().ToList();
        var answers = await Task.WhenAll(peers.Select(p => FetchRawAsync(p, ct)));
        var raws = new List<RawStats> { own };
        var missing = new List<string>();
        foreach (var (peer, answer) in peers.Zip(answers))
        {
            if (answer is null) missing.Add(peer.Name);
            else raws.Add(answer);
        }
        missing.AddRange(_silo.Membership.State.Active.Where(m => m.Name != _silo.Name && !peers.Contains(m)).Select(m => m.Name));
        return MetricsStatsBuilder.Build(_silo.Name, "cluster", raws, missing);
    }

    /// <summary>The other silos this silo sees up and can reach over HTTP.</summary>
    private IEnumerable<MemberState> Peers() =>
        _silo.Membership.State.Active.Where(m => m.Name != _silo.Name && m.Info.HttpAddress is not null && _silo.StatusOf(m) == "up");

    private async Task<RawStats?> FetchRawAsync(MemberState peer, CancellationToken ct)
    {
        try
        {
            return await Http.GetFromJsonAsync<RawStats>(peer.Info.HttpAddress!.TrimEnd('/') + DashboardRoutes.RawStats, Json, ct);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or NotSupportedException)
        {
            _silo.Loggers.CreateLogger("OrleansDynamo.Metrics").LogDebug("Peer {Peer} did not send its stats: {Reason}", peer.Name, e.Message);
            return null;
        }
    }

    /// <summary>Reads what the gauges report: key counts, hints waiting, and the peers' load.</summary>
    private async Task RefreshAsync(CancellationToken ct)
    {
        if (!_disposeRegistered)
        {
            _disposeRegistered = true;
            ct.Register(Dispose);
        }
        await RefreshPartitionsAsync(ct);
        var hints = await _silo.Store.Hints.CountByTargetAsync(ct);
        lock (_cacheGate) _hintsWaiting = hints;
        await RefreshLoadsAsync(ct);
    }

    /// <summary>Asks every peer this silo sees up for its load now; returns every known silo's load.</summary>
    public async Task<IReadOnlyDictionary<string, SiloLoad>> RefreshLoadsAsync(CancellationToken ct)
    {
        var peers = Peers().ToList();
        var answers = await Task.WhenAll(peers.Select(p => FetchRawAsync(p, ct)));
        var loads = new Dictionary<string, SiloLoad>(StringComparer.Ordinal);
        var processes = new Dictionary<string, ProcessStats>(StringComparer.Ordinal);
        foreach (var answer in answers)
        {
            if (answer is null) continue;
            loads[answer.Silo] = SiloLoad.Of(answer);
            if (answer.Process is { } process) processes[answer.Silo] = process;
        }
        lock (_cacheGate)
        {
            _peerLoads = loads;
            _peerProcesses = processes;
        }
        return SiloLoads();
    }

    /// <summary>Reads the key counts of every partition on this silo now.</summary>
    public async Task<IReadOnlyList<PartitionSummary>> RefreshPartitionsAsync(CancellationToken ct)
    {
        var summaries = await _silo.Store.SummarizeAllAsync(ct);
        lock (_cacheGate) _summaries = summaries;
        return summaries;
    }

    /// <summary>
    /// Ends the meter with the silo (a meter sits in a process-wide list until disposed): when the silo stops its
    /// loops, and again (harmlessly) when the runtime disposes its features.
    /// </summary>
    public void Dispose()
    {
        _meter?.Dispose();
        _http?.Dispose();
    }
}
