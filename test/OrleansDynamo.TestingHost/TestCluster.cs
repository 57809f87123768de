using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime;
using Orleans.Hosting;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// K Orleans silos inside one test process on loopback ports it picks: each a whole silo host (Orleans,
/// Kestrel for clients, the store in its own data directory), silo-to-silo calls as grain calls; stop,
/// kill, restart (with its data), add a silo, and cut the link between two silos (a cut link fails the
/// Dynamo calls across it, as a dropped network would).
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TestSilo> _silos = [];
    private readonly List<DynamoClient> _clients = [];

    private TestCluster(TestClusterOptions options, string dataRoot)
    {
        Options = options;
        DataRoot = dataRoot;
    }

    public TestClusterOptions Options { get; }

    public string DataRoot { get; }

    public LinkTable Links { get; } = new();

    public IReadOnlyList<TestSilo> Silos => _silos;

    public TestSilo this[int index] => _silos[index];

    public TestSilo Silo(string name) => _silos.Single(s => s.Name == name);

    public IEnumerable<TestSilo> Running => _silos.Where(s => s.IsRunning);

    public static async Task<TestCluster> StartAsync(TestClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TestClusterOptions();
        var root = Path.Combine(Path.GetTempPath(), "od-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var cluster = new TestCluster(options, root);
        for (int i = 0; i < options.Silos; i++) cluster._silos.Add(new TestSilo(cluster.NewOptions(i)));
        // The first silo starts alone, so the cluster's membership table has a live member when the others join.
        await cluster.StartSiloAsync(cluster._silos[0], cancellationToken);
        await Task.WhenAll(cluster._silos.Skip(1).Select(s => cluster.StartSiloAsync(s, cancellationToken)));
        if (options.WaitForConvergence)
        {
            await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(30), cancellationToken);
            // The silos joined one after another: each join's (empty) partition transfers are done before a test begins.
            // Otherwise a test that writes at once (or cuts a link) races the last join's transfer, which then moves keys
            // the test expected anti-entropy, hints or read repair to move.
            await cluster.WaitForTransfersAsync(TimeSpan.FromSeconds(30));
        }
        return cluster;
    }

    /// <summary>Adds one more silo (a fresh data directory); it meets the others through cluster membership.</summary>
    public async Task<TestSilo> AddSiloAsync(Action<SiloOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var silo = new TestSilo(NewOptions(_silos.Count));
        configure?.Invoke(silo.Options);
        _silos.Add(silo);
        await StartSiloAsync(silo, cancellationToken);
        return silo;
    }

    /// <summary>
    /// A silo process that is not one of this cluster's (a stranger trying to join with other settings), built and not
    /// started, with the test cluster's fatal-error handling: when Orleans declares it dead it stops, not the test process.
    /// </summary>
    public WebApplication BuildStranger(SiloOptions options) =>
        SiloHost.Build(options, logging: l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Options.LogLevel), hooks: HooksFor(new TestSilo(options)));

    private SiloOptions NewOptions(int index)
    {
        var ports = FreePorts(4);
        var o = new SiloOptions
        {
            ClusterName = Options.ClusterName,
            SiloName = $"silo{index}",
            DataDirectory = Path.Combine(DataRoot, $"silo{index}"),
            StorageEngine = Options.StorageEngine,
            Durability = Storage.DurabilityMode.Normal,
            Host = "127.0.0.1",
            GrpcPort = ports[0],
            HttpPort = Options.Http ? ports[1] : 0,
            SiloPort = ports[2],
            GatewayPort = ports[3],
            PartitionCount = Options.PartitionCount,
            GossipIntervalMs = Options.GossipIntervalMs,
            // Every silo of the test cluster shares one membership and reminder table: any silo can be killed and restarted.
            Clustering = new Silo.Clustering.ClusteringOptions { Mode = "sqlite", SqlitePath = Path.Combine(DataRoot, "cluster.db") },
            RequestTimeoutMs = Options.RequestTimeoutMs,
            ReplicaTimeoutMs = Options.ReplicaTimeoutMs,
            DefaultBucket = new BucketOptions { N = Options.N, R = Options.R, W = Options.W },
        };
        o.Dashboard.OrleansDashboard = Options.OrleansDashboard;
        Options.Configure?.Invoke(index, o);
        return o;
    }

    private SiloHostHooks HooksFor(TestSilo silo) => new(
        WrapStore: store => Options.WrapStore?.Invoke(silo.Name, store) ?? store,
        WrapTransport: transport => new CuttableTransport(silo.Name, transport, Links),
        ConfigureOrleans: orleans =>
        {
            orleans.Services.AddSingleton(silo);
            orleans.Services.Replace(ServiceDescriptor.Singleton<IFatalErrorHandler, StopSiloOnFatalError>());
        });

    private async Task StartSiloAsync(TestSilo silo, CancellationToken cancellationToken)
    {
        silo.FatalError = null;
        var app = SiloHost.Build(silo.Options,
            logging: l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Options.LogLevel),
            hooks: HooksFor(silo));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception)
        {
            await app.CloseFailedSiloAsync();
            throw;
        }
        silo.App = app;
        silo.RuntimeOrNull = app.Services.GetRequiredService<SiloRuntime>();
    }

    /// <summary>Stops a silo gracefully (it leaves Orleans membership at once); its data directory stays.</summary>
    public Task StopSiloAsync(string name) => ShutDownAsync(name, graceful: true);

    /// <summary>Kills a silo: no goodbye to the cluster, which must detect the death itself; its data directory stays.</summary>
    public Task KillSiloAsync(string name) => ShutDownAsync(name, graceful: false);

    private async Task ShutDownAsync(string name, bool graceful)
    {
        var silo = Silo(name);
        if (silo.App is null) return;
        var app = silo.App;
        silo.App = null;
        silo.RuntimeOrNull = null;
        // An already-cancelled token stops the host without the graceful steps (as Orleans' TestingHost kills a silo).
        using (var stopTimeout = graceful ? new CancellationTokenSource(TimeSpan.FromSeconds(10)) : new CancellationTokenSource())
        {
            if (!graceful) stopTimeout.Cancel();
            try
            {
                await app.StopAsync(stopTimeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        await app.DisposeAsync();
    }

    /// <summary>Starts a stopped silo again on the same ports with the same data.</summary>
    public async Task RestartSiloAsync(string name, CancellationToken cancellationToken = default)
    {
        var silo = Silo(name);
        if (silo.IsRunning) await StopSiloAsync(name);
        await StartSiloAsync(silo, cancellationToken);
    }

    public void Cut(string a, string b, bool oneWay = false) => Links.Cut(a, b, oneWay);

    public void Heal(string a, string b, bool oneWay = false) => Links.Heal(a, b, oneWay);

    public void HealAll() => Links.HealAll();

    /// <summary>Cuts every link between the two groups, both ways.</summary>
    public void Partition(IEnumerable<string> sideA, IEnumerable<string> sideB)
    {
        var b = sideB.ToList();
        foreach (var a in sideA)
        {
            foreach (var other in b) Links.Cut(a, other);
        }
    }

    /// <summary>Waits until every running silo holds the same membership and sees the expected silos up.</summary>
    public async Task WaitForConvergenceAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var running = Running.ToList();
            var digests = running.Select(s => s.Runtime.Membership.History.Digest).Distinct().Count();
            bool allUp = running.All(s => running.All(o => s.Runtime.Membership.State.Member(o.Name)?.Status == MemberStatus.Up));
            if (digests == 1 && allUp && running.All(s => s.Runtime.Membership.State.Ring is not null)) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("the cluster did not converge: " + string.Join("; ", running.Select(s =>
                    $"{s.Name} sees [{string.Join(",", s.Runtime.Membership.State.Members.Values.Select(m => m.Name + ":" + m.Status))}]")));
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until no running silo has a partition transfer in flight or pending inbound (so reads no longer
    /// read through to old owners): the quiet state after start or after a join or leave.
    /// </summary>
    public Task WaitForTransfersAsync(TimeSpan timeout) =>
        WaitUntilAsync(() => Task.FromResult(Running.All(s =>
            s.Runtime.TransferReporters.All(r => r.Transfers().Count == 0 && Running.All(o => !r.IsJoining(o.Name))))),
            timeout, "partition transfers to finish");

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(50);
        }
    }

    /// <summary>A client seeded with every silo (or the given ones).</summary>
    public async Task<DynamoClient> CreateClientAsync(Action<DynamoClientOptions>? configure = null, params string[] silos)
    {
        // Above the silos' own request timeout (TestClusterOptions): a slow silo answers with its timeout first.
        var options = new DynamoClientOptions { RequestTimeout = TimeSpan.FromSeconds(20) };
        foreach (var s in silos.Length > 0 ? silos.Select(Silo) : Running) options.Seeds.Add(s.GrpcAddress);
        configure?.Invoke(options);
        var client = await DynamoClient.ConnectAsync(options);
        _clients.Add(client);
        return client;
    }

    /// <summary>What one silo's store holds for a key (no quorum, no read repair).</summary>
    public async Task<SiblingSet?> ReadStoreAsync(string silo, string bucket, string key)
    {
        var runtime = Silo(silo).Runtime;
        var k = new DynamoKey(bucket, key);
        return await runtime.Store.ReadAsync(k.Hash.Partition(runtime.Options.PartitionCount), k);
    }

    /// <summary>The silos holding the key's preference list (primaries) in the first running silo's view.</summary>
    public IReadOnlyList<string> PreferenceList(string bucket, string key, int n)
    {
        var ring = Running.First().Runtime.Membership.State.Ring!;
        return ring.PreferenceListFor(new DynamoKey(bucket, key), n).Primaries;
    }

    // Ports come from below Linux's ephemeral range (32768-60999 by default), so no outgoing connection (Orleans opens
    // many) can take one between the check here and the silo's bind; each is handed out once per test process.
    private const int FirstPort = 20000;
    private const int PortCount = 12000;
    private static int _nextPort = FirstPort + Random.Shared.Next(PortCount);

    /// <summary>Loopback ports no one listens on, each handed out once per test process.</summary>
    public static int[] FreePorts(int count)
    {
        var ports = new List<int>(count);
        for (int tried = 0; ports.Count < count; tried++)
        {
            if (tried > PortCount) throw new InvalidOperationException($"no free loopback port in {FirstPort}-{FirstPort + PortCount - 1}");
            int port = FirstPort + (Interlocked.Increment(ref _nextPort) - FirstPort) % PortCount;
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                ports.Add(port);
            }
            catch (SocketException)
            {
            }
            finally
            {
                listener.Stop();
            }
        }
        return [.. ports];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) await c.DisposeAsync();
        foreach (var s in _silos.ToList()) await StopSiloAsync(s.Name);
        try
        {
            Directory.Delete(DataRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
