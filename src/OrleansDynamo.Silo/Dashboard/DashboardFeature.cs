using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Security;
using Orleans.Dashboard;

namespace OrleansDynamo.Silo.Dashboard;

/// <summary>
/// The dashboard every silo serves on its HTTP port: the page at / (static files embedded in the
/// silo assembly, no build step) and the JSON API it reads: /api/cluster, /api/ring, /api/stats,
/// /api/partitions, /api/hints and /api/key (any other /api/ path: a JSON 404). Beside it, the Orleans dashboard
/// at /orleans/ (Microsoft.Orleans.Dashboard, when <see cref="DashboardOptions.OrleansDashboard"/>), behind the same rules. Cluster-wide answers are merged from the peers' own
/// answers over HTTP (their addresses come from the membership). Who may ask: <see cref="DashboardAccess"/>.
/// The views that fan out to every other silo, and the per-silo scans they fetch, run at most
/// <see cref="Limits.LimitsOptions.MaxConcurrentDashboardViews"/> at once on a silo; one more is answered 503 at once.
/// </summary>
public sealed class DashboardFeature : ISiloFeature
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    private SiloRuntime _silo = null!;
    private SiloApi _api = null!;
    private MetricsFeature _metrics = null!;
    private DashboardAccess _access = null!;
    private SemaphoreSlim _views = null!;

    public void Install(SiloRuntime silo)
    {
        _silo = silo;
        _api = new SiloApi(silo);
        _metrics = silo.Feature<MetricsFeature>() ?? throw new InvalidOperationException("the dashboard needs the metrics feature");
        _access = new DashboardAccess(silo.Options, new ApiAuthorizer(silo.Options.Auth, silo.Loggers.CreateLogger<ApiAuthorizer>()), Json);
        _views = new SemaphoreSlim(silo.Options.Limits.MaxConcurrentDashboardViews);
        silo.EndpointMappers.Add(Map);
    }

    private void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(DashboardRoutes.Page, (HttpContext http) => AssetAsync(http, "index.html"));
        endpoints.MapGet(DashboardRoutes.Assets, (HttpContext http, string file) => AssetAsync(http, file));
        Bounded(Guard(endpoints.MapGet(DashboardRoutes.Cluster, async (CancellationToken ct) => Ok(Cluster(await _metrics.RefreshLoadsAsync(ct)))), _ => ApiVerb.DashboardRead),
            _ => true);
        Guard(endpoints.MapGet(DashboardRoutes.Ring, () => Ok(Ring())), _ => ApiVerb.DashboardRead);
        Bounded(Guard(endpoints.MapGet(DashboardRoutes.Stats, async (string? scope, CancellationToken ct) => scope switch
        {
            "raw" => Ok(_metrics.RawStats()),
            "cluster" => Ok(await _metrics.StatsAsync(cluster: true, ct)),
            null or "" or "silo" => Ok(await _metrics.StatsAsync(cluster: false, ct)),
            _ => BadScope(scope),
        }), http => UnlessScope(http, "raw")), http => string.Equals(http.Request.Query["scope"], "cluster", StringComparison.Ordinal));
        Bounded(Guard(endpoints.MapGet(DashboardRoutes.Partitions, async (string? scope, CancellationToken ct) => scope switch
        {
            "silo" => Ok(await LocalPartitionsAsync(ct)),
            null or "" or "cluster" => Ok(await PartitionsAsync(ct)),
            _ => BadScope(scope),
        }), http => UnlessScope(http, "silo")), _ => true);
        Bounded(Guard(endpoints.MapGet(DashboardRoutes.Hints, async (string? scope, CancellationToken ct) => scope switch
        {
            "silo" => Ok(new HintsView(_silo.Name, "silo", [await LocalHintsAsync(ct)], [])),
            null or "" or "cluster" => Ok(await HintsAsync(ct)),
            _ => BadScope(scope),
        }), http => UnlessScope(http, "silo")), _ => true);
        Bounded(Guard(endpoints.MapGet(DashboardRoutes.Transfers, async (CancellationToken ct) => Ok(await TransfersAsync(ct))), _ => ApiVerb.DashboardRead),
            _ => true);
        endpoints.MapGet(DashboardRoutes.Key, async (string? bucket, string? key, CancellationToken ct) => await KeyAsync(bucket, key, ct))
            .AddEndpointFilter(async (context, next) =>
            {
                var query = context.HttpContext.Request.Query;
                return _access.Refusal(context.HttpContext, ApiVerb.KeyLookup, $"bucket '{query["bucket"]}' key '{query["key"]}'") ?? await next(context);
            });
        endpoints.MapFallback(DashboardRoutes.ApiFallback, (HttpContext http) => _access.Refusal(http, null)
            ?? Results.Json(new ErrorView($"no such API: {http.Request.Method} {http.Request.Path}", "not_found"), Json, statusCode: StatusCodes.Status404NotFound));
        if (_silo.Options.Dashboard.OrleansDashboard) MapOrleansDashboard(endpoints);
    }

    /// <summary>
    /// The Orleans dashboard, under the Host check and, with keys configured, a key of any role (bearer, or the password
    /// of HTTP Basic, which the browser asks for); its grain state and live log need an admin key.
    /// </summary>
    private void MapOrleansDashboard(IEndpointRouteBuilder endpoints) =>
        endpoints.MapOrleansDashboard(DashboardRoutes.Orleans).AddEndpointFilter(async (context, next) =>
        {
            var path = context.HttpContext.Request.Path.Value ?? "";
            var verb = path.Contains("/GrainState", StringComparison.OrdinalIgnoreCase) || path.Contains("/Trace", StringComparison.OrdinalIgnoreCase)
                ? ApiVerb.GrainInspection : ApiVerb.DashboardRead;
            return _access.Refusal(context.HttpContext, verb, basic: true) ?? await next(context);
        });

    /// <summary>The page and its files hold no data: they need no key, only a Host of this silo.</summary>
    private Task AssetAsync(HttpContext http, string file) =>
        _access.Refusal(http, null) is { } refusal ? refusal.ExecuteAsync(http) : DashboardAssets.WriteAsync(http, file);

    /// <summary>Answers the route only when <see cref="DashboardAccess"/> lets the request through for the verb <paramref name="verb"/> names.</summary>
    private RouteHandlerBuilder Guard(RouteHandlerBuilder route, Func<HttpContext, ApiVerb?> verb) =>
        route.AddEndpointFilter(async (context, next) => _access.Refusal(context.HttpContext, verb(context.HttpContext)) ?? await next(context));

    /// <summary>
    /// Runs a request that <paramref name="fansOut"/> says fans out or scans only while fewer than
    /// <see cref="Limits.LimitsOptions.MaxConcurrentDashboardViews"/> such requests run here; otherwise answers 503 at once.
    /// </summary>
    private void Bounded(RouteHandlerBuilder route, Func<HttpContext, bool> fansOut) =>
        route.AddEndpointFilter(async (context, next) =>
        {
            if (!fansOut(context.HttpContext)) return await next(context);
            if (!_views.Wait(0))
            {
                int limit = _silo.Options.Limits.MaxConcurrentDashboardViews;
                return Results.Json(new ErrorView($"{_silo.Name} is already serving {limit} dashboard views that fan out to every silo or scan its store, " +
                    $"the most it runs at once ({Limits.LimitsOptions.Section}:MaxConcurrentDashboardViews); try again shortly"), Json,
                    statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            try
            {
                return await next(context);
            }
            finally
            {
                _views.Release();
            }
        });

    /// <summary>The per-silo answer peers fetch (<paramref name="peerScope"/>) needs no key; every other scope is a dashboard view.</summary>
    private static ApiVerb? UnlessScope(HttpContext http, string peerScope) =>
        string.Equals(http.Request.Query["scope"], peerScope, StringComparison.Ordinal) ? null : ApiVerb.DashboardRead;

    private static IResult Ok<T>(T value) => Results.Json(value, Json);

    private static IResult BadScope(string scope) =>
        Results.Json(new ErrorView($"unknown scope '{scope}'; use silo or cluster"), Json, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>The silos as this silo sees them, with each silo's load (<paramref name="loads"/>: those that answered).</summary>
    public ClusterView Cluster(IReadOnlyDictionary<string, SiloLoad> loads)
    {
        var state = _silo.Membership.State;
        var ring = state.Ring;
        var counts = ring?.PartitionCounts() ?? new Dictionary<string, int>();
        int n = DefaultN(state);
        double threshold = _metrics.Options.OutOfBalanceThreshold;
        var totals = loads.Values.Select(l => l.Total).ToList();
        double mean = totals.Count == 0 ? 0 : totals.Average();
        var silos = state.Members.Values.Select(m =>
        {
            var load = loads.GetValueOrDefault(m.Name);
            bool? off = load is { Total: var v } && mean > 0 ? Math.Abs(v - mean) > threshold * mean : load is null ? null : false;
            int replicas = ring is not null && ring.FindMember(m.Name) is not null ? ring.PartitionsOf(m.Name, n).Count : 0;
            return new SiloView(m.Name, m.Info.Address, m.Info.HttpAddress, m.Info.Zone, _silo.StatusOf(m), m.Name == _silo.Name,
                counts.GetValueOrDefault(m.Name), replicas, load?.Total, off, load?.Coordinated, load?.Replica);
        }).ToArray();
        var processes = _metrics.Processes();
        var (balanceState, reason) = MetricsStatsBuilder.BalanceState(totals, threshold, _metrics.Options.BalanceMinLoadPerSecond,
            Recovery(silos, loads, processes));
        var balance = new LoadBalanceView(Math.Round(mean, 3), threshold, MetricsStatsBuilder.OutOfBalanceFraction(totals, threshold), loads.Count,
            balanceState, reason);
        var buckets = state.Buckets.Values.Select(b => new BucketView(b.Name, b.N, b.R, b.W, BucketSettings.PolicyName(b.Policy))).ToArray();
        return new ClusterView(_silo.Name, state.ClusterName, state.Version, state.PartitionCount, _metrics.Options.PageRefreshMs, silos, balance, buckets,
            processes, _silo.Options.Dashboard.OrleansDashboard ? DashboardRoutes.Orleans + "/" : null);
    }

    /// <summary>
    /// What moves load between silos for a while after a failure, so that silos off the mean are recovery rather than
    /// imbalance: hints waiting, a silo not up (unreachable or leaving), a silo that started within the stats window; null when none.
    /// </summary>
    private string? Recovery(SiloView[] silos, IReadOnlyDictionary<string, SiloLoad> loads, IReadOnlyDictionary<string, ProcessStats> processes)
    {
        long hints = loads.Values.Sum(l => l.HintsWaiting);
        if (hints > 0) return $"{hints} hints waiting for delivery";
        if (silos.FirstOrDefault(s => s.Status != "up" && s.Status != "left") is { } notUp) return $"{notUp.Name} is {notUp.Status}";
        int window = _metrics.Options.StatsWindowSeconds;
        if (processes.FirstOrDefault(p => p.Value.UptimeSeconds < window) is { Key: { } young, Value: var process })
            return $"{young} started {process.UptimeSeconds:0} s ago, within the {window} s its load is measured over";
        return null;
    }

    public RingView Ring()
    {
        var state = _silo.Membership.State;
        if (state.Ring is not { } ring) return new RingView(state.Version, state.PartitionCount, DefaultN(state), [], []);
        var names = ring.Owners.Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = names.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i, StringComparer.Ordinal);
        return new RingView(ring.Version, ring.PartitionCount, DefaultN(state), names, [.. ring.Owners.Select(o => index[o])]);
    }

    private static int DefaultN(ClusterState state) =>
        state.Buckets.TryGetValue(BucketSettings.DefaultName, out var b) ? b.N : 3;

    private async Task<LocalPartitionsView> LocalPartitionsAsync(CancellationToken ct)
    {
        var summaries = await _metrics.RefreshPartitionsAsync(ct);
        return new LocalPartitionsView(_silo.Name, [.. summaries.Select(s => new LocalPartition(s.Partition, s.KeyCount, s.Bytes))]);
    }

    public async Task<PartitionsView> PartitionsAsync(CancellationToken ct)
    {
        var state = _silo.Membership.State;
        int n = DefaultN(state);
        var own = await LocalPartitionsAsync(ct);
        var (peers, missing) = await FromPeersAsync<LocalPartitionsView>(DashboardRoutes.LocalPartitions, ct);
        var all = new List<LocalPartitionsView> { own };
        all.AddRange(peers);
        var keys = new Dictionary<int, Dictionary<string, long>>();
        var bytes = new Dictionary<int, Dictionary<string, long>>();
        foreach (var view in all)
        {
            foreach (var p in view.Partitions)
            {
                if (!keys.TryGetValue(p.Partition, out var k)) keys[p.Partition] = k = new(StringComparer.Ordinal);
                if (!bytes.TryGetValue(p.Partition, out var b)) bytes[p.Partition] = b = new(StringComparer.Ordinal);
                k[view.Silo] = p.Keys;
                b[view.Silo] = p.Bytes;
            }
        }
        var exchange = _silo.Features.OfType<IPartitionExchangeReporter>().FirstOrDefault();
        var rows = new List<PartitionView>();
        if (state.Ring is { } ring)
        {
            for (int p = 0; p < ring.PartitionCount; p++)
            {
                var list = ring.PreferenceListFor(p, n);
                rows.Add(new PartitionView(p, [.. list.Primaries], [.. list.Fallbacks],
                    keys.GetValueOrDefault(p) ?? [], bytes.GetValueOrDefault(p) ?? [], exchange?.LastExchange(p)));
            }
        }
        return new PartitionsView(_silo.Name, "cluster", n, [.. all.Select(v => v.Silo)], [.. missing], [.. rows]);
    }

    private async Task<HintsOfSilo> LocalHintsAsync(CancellationToken ct)
    {
        var waiting = await _silo.Store.Hints.CountByTargetAsync(ct);
        return new HintsOfSilo(_silo.Name, waiting.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
            _silo.Counters.Get(CounterNames.HintsStored), _silo.Counters.Get(CounterNames.HintsDelivered), _silo.Counters.Get(CounterNames.HintsDropped));
    }

    public async Task<HintsView> HintsAsync(CancellationToken ct)
    {
        var own = await LocalHintsAsync(ct);
        var (peers, missing) = await FromPeersAsync<HintsView>(DashboardRoutes.LocalHints, ct);
        return new HintsView(_silo.Name, "cluster", [own, .. peers.SelectMany(p => p.Silos)], [.. missing]);
    }

    /// <summary>The ring change under way, cluster-wide (the silos are asked over the silo transport, not HTTP).</summary>
    public async Task<TransfersView> TransfersAsync(CancellationToken ct)
    {
        if (_silo.Feature<Transfer.OwnershipTransferFeature>() is not { } transfer) return new TransfersView(_silo.Name, [], [], true);
        var silos = await transfer.ClusterReportAsync(ct);
        var started = silos.SelectMany(s => s.Outbound).ToArray();
        // A silo that does not answer (down, say) is listed but holds nothing up here: the card shows a change under way,
        // not an outage (`dynamo join --wait` waits for every silo's answer).
        return new TransfersView(_silo.Name, [.. silos], started, silos.Where(s => s.Answered).All(s => s.Idle) && started.Length == 0);
    }

    private async Task<IResult> KeyAsync(string? bucket, string? key, CancellationToken ct)
    {
        try
        {
            var answer = await _api.ReplicasAsync(bucket, key, ct);
            string bucketName = string.IsNullOrEmpty(bucket) ? BucketSettings.DefaultName : bucket;
            var replicas = answer.Replicas.Select(r => new ReplicaView(r.Silo, r.Reachable, r.Found, string.IsNullOrEmpty(r.Error) ? null : r.Error,
                [.. r.Siblings.Select(ToView)])).ToArray();
            return Ok(new KeyView(bucketName, key ?? "", answer.Partition, [.. answer.PreferenceList], replicas));
        }
        catch (DynamoException e)
        {
            int status = e.Kind switch
            {
                DynamoErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
                DynamoErrorKind.NotFound => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status503ServiceUnavailable,
            };
            return Results.Json(new ErrorView(e.Message), Json, statusCode: status);
        }
    }

    private static SiblingView ToView(Core.Versioning.Sibling s)
    {
        var text = PrintableText.Of(s.Value);
        return new SiblingView(text ?? Convert.ToBase64String(s.Value), text is null, s.Tombstone, s.TimestampMs, s.Value.Length);
    }

    /// <summary>Asks every other silo this silo sees up for <paramref name="path"/>; returns the answers and who did not answer.</summary>
    private async Task<(List<T> Answers, List<string> Missing)> FromPeersAsync<T>(string path, CancellationToken ct)
    {
        var members = _silo.Membership.State.Active.Where(m => m.Name != _silo.Name).ToList();
        var answers = new List<T>();
        var missing = new List<string>();
        var calls = members.Select(async m =>
        {
            if (m.Info.HttpAddress is null || _silo.StatusOf(m) != "up") return (m.Name, default(T));
            try
            {
                return (m.Name, await _metrics.Http.GetFromJsonAsync<T>(m.Info.HttpAddress.TrimEnd('/') + path, Json, ct));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or NotSupportedException)
            {
                return (m.Name, default(T));
            }
        }).ToList();
        foreach (var (name, answer) in await Task.WhenAll(calls))
        {
            if (answer is null) missing.Add(name);
            else answers.Add(answer);
        }
        return (answers, missing);
    }
}
