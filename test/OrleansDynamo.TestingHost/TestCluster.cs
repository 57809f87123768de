using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Silo.Transport.Grpc;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// K silos inside one test process on loopback ports it picks (like Orleans.TestingHost): real
/// Kestrel endpoints for clients, silo-to-silo calls over gRPC or the in-process network, and
/// stop, restart (with its data) and cutting links between silos.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<TestSilo> _silos = [];
    private readonly InMemoryNetwork _network = new();
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
        var ports = FreePorts(options.Silos * 2);
        for (int i = 0; i < options.Silos; i++) cluster._silos.Add(new TestSilo(cluster.NewOptions(i, ports[2 * i], ports[2 * i + 1])));
        var seeds = cluster._silos.Select(s => s.GrpcAddress).ToList();
        foreach (var s in cluster._silos) s.Options.Seeds = [seeds[0]];
        cluster._silos[0].Options.Seeds = seeds.Skip(1).Take(1).ToList();
        await Task.WhenAll(cluster._silos.Select(s => cluster.StartSiloAsync(s, cancellationToken)));
        if (options.WaitForConvergence) await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return cluster;
    }

    /// <summary>Adds one more silo (a fresh data directory) that joins through the first silo.</summary>
    public async Task<TestSilo> AddSiloAsync(Action<SiloOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var ports = FreePorts(2);
        var silo = new TestSilo(NewOptions(_silos.Count, ports[0], ports[1]));
        silo.Options.Seeds = [Running.First().GrpcAddress];
        configure?.Invoke(silo.Options);
        _silos.Add(silo);
        await StartSiloAsync(silo, cancellationToken);
        return silo;
    }

    private SiloOptions NewOptions(int index, int grpcPort, int httpPort)
    {
        var o = new SiloOptions
        {
            ClusterName = Options.ClusterName,
            SiloName = $"silo{index}",
            DataDirectory = Path.Combine(DataRoot, $"silo{index}"),
            StorageEngine = Options.StorageEngine,
            Durability = Storage.DurabilityMode.Normal,
            Host = "127.0.0.1",
            GrpcPort = grpcPort,
            HttpPort = Options.Http ? httpPort : 0,
            PartitionCount = Options.PartitionCount,
            GossipIntervalMs = Options.GossipIntervalMs,
            RequestTimeoutMs = Options.RequestTimeoutMs,
            ReplicaTimeoutMs = Options.ReplicaTimeoutMs,
            DefaultBucket = new BucketOptions { N = Options.N, R = Options.R, W = Options.W },
        };
        Options.Configure?.Invoke(index, o);
        return o;
    }

    private string? NameOfAddress(string address) =>
        _silos.FirstOrDefault(s => string.Equals(s.GrpcAddress, address.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))?.Name;

    private SiloRuntime CreateRuntime(SiloOptions options, ILoggerFactory loggers)
    {
        var store = SiloHost.OpenStore(options);
        if (Options.WrapStore is { } wrap) store = wrap(options.EffectiveSiloName, store);
        var methods = SiloWireMethods.CreateDefault();
        string name = options.EffectiveSiloName;
        SiloRuntime? runtime = null;
        ISiloTransport inner = Options.InMemoryTransport
            ? _network.TransportFor(name)
            : new GrpcSiloTransport(methods, n => runtime?.Membership.State.Member(n)?.Info.Address);
        var transport = new CuttableTransport(name, inner, Links, NameOfAddress, sendByName: Options.InMemoryTransport);
        runtime = new SiloRuntime(options, store, transport, TimeProvider.System, new Random(), loggers, methods);
        return runtime;
    }

    private async Task StartSiloAsync(TestSilo silo, CancellationToken cancellationToken)
    {
        var app = SiloHost.Build(silo.Options,
            logging: l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(Options.LogLevel),
            runtimeFactory: CreateRuntime);
        await app.StartAsync(cancellationToken);
        silo.App = app;
        silo.RuntimeOrNull = (SiloRuntime)app.Services.GetService(typeof(SiloRuntime))!;
        if (Options.InMemoryTransport) _network.Attach(silo.Name, silo.Runtime.Dispatcher);
    }

    /// <summary>Stops a silo as a crash would look to the others; its data directory stays.</summary>
    public async Task StopSiloAsync(string name)
    {
        var silo = Silo(name);
        if (silo.App is null) return;
        _network.Detach(name);
        var app = silo.App;
        silo.App = null;
        silo.RuntimeOrNull = null;
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5))) await app.StopAsync(stopTimeout.Token);
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
        var options = new DynamoClientOptions { RequestTimeout = TimeSpan.FromSeconds(10) };
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

    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
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
