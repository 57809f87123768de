using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Limits;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// One silo (N=1) with small limits: values of at most 64 KiB (the default bucket 32 KiB), so requests of at most
/// 64 KiB + 68 KiB and Orleans messages of at most 4 × 64 KiB + 68 KiB; a 6 s request deadline; a 1 s headers timeout;
/// one dashboard view that fans out at a time. Its store-wide reads (partition summaries, hint counts) wait at
/// <see cref="Gate"/> while a test holds it closed.
/// </summary>
public sealed class LimitedSiloFixture : IAsyncLifetime
{
    public const int MaxValueBytes = 64 * 1024;
    public const int BucketMaxValueBytes = 32 * 1024;
    public const int DeadlineMs = 6000;
    public const int MaxRequestBytes = MaxValueBytes + RequestSize.OverheadBytes;
    public const int MaxMessageBytes = 4 * MaxValueBytes + RequestSize.OverheadBytes;

    public StoreGate Gate { get; } = new();

    public TestCluster Cluster { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public Dynamo.DynamoClient Grpc => new(Channel);

    public TestSilo Silo => Cluster[0];

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, N = 1, R = 1, W = 1,
            RequestTimeoutMs = 3000, ReplicaTimeoutMs = 1000,
            WrapStore = (_, store) => new StuckStore(store, Gate),
            Configure = (_, o) =>
            {
                o.Limits.MaxValueBytes = MaxValueBytes;
                o.DefaultBucket.MaxValueBytes = BucketMaxValueBytes;
                o.Limits.RequestDeadlineMs = DeadlineMs;
                o.Limits.RequestHeadersTimeoutMs = 1000;
                o.Limits.MaxConcurrentDashboardViews = 1;
                // The gauges' refresh would wait at the gate too: once at start, then not during the tests.
                o.Dashboard.RefreshIntervalMs = 600_000;
            },
        });
        Channel = GrpcChannel.ForAddress(Silo.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        Gate.Open();
        Channel.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// Issue 15, item 5: bounded work and memory per caller. A request larger than the silo takes is refused naming the
/// limit, over gRPC (also once decompressed), through the SDK and by a raw Orleans client, and writes nothing; an
/// Orleans message past the silo's message limit (body or header) closes its connection; a request body that
/// trickles is reset at the silo's deadline and writes nothing; a connection that stalls in its headers is closed; a
/// caller's longer deadline is cut to the silo's; dashboard views that fan out are capped.
/// </summary>
public sealed class RequestLimitsTests(LimitedSiloFixture fixture) : IClassFixture<LimitedSiloFixture>
{
    /// <summary>Every wait of these tests: far above the limits they check (at most the 6 s deadline plus 1 s).</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow.AddSeconds(20));

    private TestSilo Silo => fixture.Silo;

    private Task<Core.Versioning.SiblingSet?> Stored(string key, string bucket = "default") => fixture.Cluster.ReadStoreAsync(Silo.Name, bucket, key);

    private static ByteString Bytes(int count) => ByteString.CopyFrom(new byte[count]);

    [Fact]
    public async Task An_oversized_grpc_put_is_refused_naming_the_limit_and_nothing_is_written()
    {
        var client = fixture.Grpc;

        // Past the request limit: RESOURCE_EXHAUSTED from the message's prefix, before the message is read.
        var tooLarge = await Assert.ThrowsAsync<RpcException>(() =>
            client.PutAsync(new PutRequest { Key = "huge", Value = Bytes(LimitedSiloFixture.MaxRequestBytes + 1) }, Deadline).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        Assert.Contains($"this silo accepts at most {LimitedSiloFixture.MaxRequestBytes} bytes", tooLarge.Status.Detail);
        Assert.Contains("Silo:Limits:MaxValueBytes", tooLarge.Status.Detail);
        Assert.Null(await Stored("huge"));

        // Small on the wire, large once inflated: gzip is decompressed only up to the request limit.
        using var gzipChannel = GrpcChannel.ForAddress(Silo.GrpcAddress);
        var gzip = new CallOptions(new Metadata { { "grpc-internal-encoding-request", "gzip" } }, DateTime.UtcNow.AddSeconds(20));
        var bomb = await Assert.ThrowsAsync<RpcException>(() =>
            new Dynamo.DynamoClient(gzipChannel).PutAsync(new PutRequest { Key = "bomb", Value = Bytes(4 * 1024 * 1024) }, gzip).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, bomb.StatusCode);
        Assert.Contains($"decompresses to more than {LimitedSiloFixture.MaxRequestBytes} bytes", bomb.Status.Detail);
        Assert.Null(await Stored("bomb"));

        // Within the request limit but over the bucket's: the coordinator's INVALID_ARGUMENT.
        var overBucket = await Assert.ThrowsAsync<RpcException>(() =>
            client.PutAsync(new PutRequest { Key = "big", Value = Bytes(LimitedSiloFixture.BucketMaxValueBytes + 1) }, Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, overBucket.StatusCode);
        Assert.Contains($"bucket 'default' allows at most {LimitedSiloFixture.BucketMaxValueBytes} bytes", overBucket.Status.Detail);
        Assert.Null(await Stored("big"));

        // A context longer than any a silo makes.
        var longContext = await Assert.ThrowsAsync<RpcException>(() =>
            client.PutAsync(new PutRequest { Key = "ctx", Value = Bytes(10), Context = new string('A', RequestSize.MaxContextChars + 4) }, Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, longContext.StatusCode);
        Assert.Contains($"context is {RequestSize.MaxContextChars + 4} characters; the limit is {RequestSize.MaxContextChars}", longContext.Status.Detail);
        Assert.Null(await Stored("ctx"));

        // No bucket may allow values the silo does not take.
        var bucket = await Assert.ThrowsAsync<RpcException>(() => client.CreateBucketAsync(new CreateBucketRequest
        {
            Bucket = new BucketInfo { Name = "wide", MaxValueBytes = LimitedSiloFixture.MaxValueBytes + 1 },
        }, Deadline).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bucket.StatusCode);
        Assert.Contains("Silo:Limits:MaxValueBytes", bucket.Status.Detail);
        Assert.DoesNotContain(Silo.Runtime.Membership.State.Buckets.Keys, name => name == "wide");

        // The silo serves on, up to the limits.
        await client.PutAsync(new PutRequest { Key = "fits", Value = Bytes(LimitedSiloFixture.BucketMaxValueBytes) }, Deadline);
        Assert.Equal(LimitedSiloFixture.BucketMaxValueBytes, Assert.Single((await Stored("fits"))!.Siblings).Value.Length);
    }

    [Fact]
    public async Task An_oversized_put_through_the_sdk_or_a_raw_orleans_client_is_refused_naming_the_limit_and_nothing_is_written()
    {
        var sdk = await fixture.Cluster.CreateClientAsync();
        Assert.Equal(LimitedSiloFixture.MaxRequestBytes, (await sdk.RefreshRingAsync()).MaxRequestBytes);
        var refused = await Assert.ThrowsAsync<DynamoException>(() => sdk.PutAsync("sdk-huge", new byte[LimitedSiloFixture.MaxRequestBytes + 1]));
        Assert.Equal(DynamoErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains($"the silos accept at most {LimitedSiloFixture.MaxRequestBytes} bytes", refused.Message);
        Assert.Null(await Stored("sdk-huge"));

        // An Orleans client that skips the SDK's check: the client API grain refuses the request itself.
        var host = OrleansClient();
        try
        {
            await host.StartAsync();
            var api = host.Services.GetRequiredService<IClusterClient>().GetGrain<IDynamoApiGrain>(IDynamoApiGrain.Key);
            var grainRefused = await Assert.ThrowsAsync<DynamoException>(() =>
                api.Put(new PutRequest { Key = "grain-huge", Value = Bytes(LimitedSiloFixture.MaxRequestBytes + 1) }, CancellationToken.None));
            Assert.Equal(DynamoErrorKind.InvalidArgument, grainRefused.Kind);
            Assert.Contains($"this silo accepts at most {LimitedSiloFixture.MaxRequestBytes} bytes", grainRefused.Message);
            Assert.Null(await Stored("grain-huge"));

            // Past the Orleans message limit: the gateway closes the connection without reading the body or answering,
            // and the call fails at the client's own response timeout (the grain never saw it: no DynamoException).
            var dropped = await Record.ExceptionAsync(() =>
                api.Put(new PutRequest { Key = "message-huge", Value = Bytes(LimitedSiloFixture.MaxMessageBytes + 1) }, CancellationToken.None).WaitAsync(Bound));
            Assert.NotNull(dropped);
            Assert.IsNotType<DynamoException>(dropped);
            Assert.Contains("Response did not arrive on time", dropped.Message);
            Assert.Null(await Stored("message-huge"));
            // The client connects again and is served.
            Assert.Equal((ulong)LimitedSiloFixture.MaxRequestBytes, (await api.GetRing(new GetRingRequest(), CancellationToken.None)).MaxRequestBytes);
        }
        finally
        {
            await host.CloseAsync();
        }

        // A header past the limit (a request context of 2 MiB): the same.
        host = OrleansClient();
        try
        {
            await host.StartAsync();
            var api = host.Services.GetRequiredService<IClusterClient>().GetGrain<IDynamoApiGrain>(IDynamoApiGrain.Key);
            RequestContext.Set(ApiKeys.RequestContextKey, new string('k', 2 * 1024 * 1024));
            Exception? dropped;
            try
            {
                dropped = await Record.ExceptionAsync(() => api.Put(new PutRequest { Key = "header-huge", Value = Bytes(10) }, CancellationToken.None).WaitAsync(Bound));
            }
            finally
            {
                RequestContext.Remove(ApiKeys.RequestContextKey);
            }
            Assert.NotNull(dropped);
            Assert.IsNotType<DynamoException>(dropped);
            Assert.Contains("Response did not arrive on time", dropped.Message);
            Assert.Null(await Stored("header-huge"));
        }
        finally
        {
            await host.CloseAsync();
        }

        // The silo serves on.
        await sdk.PutAsync("sdk-fits", new byte[LimitedSiloFixture.BucketMaxValueBytes]);
        Assert.NotNull(await Stored("sdk-fits"));
    }

    /// <summary>A plain Orleans client of the silo's gateway, with a response timeout (5 s) inside the test's bound.</summary>
    private IHost OrleansClient() => new HostBuilder()
        .UseOrleansClient(client =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, Silo.Options.GatewayPort));
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = Silo.Options.ClusterName;
                o.ServiceId = DynamoCluster.ServiceId;
            });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        })
        .Build();

    [Fact]
    public async Task A_grpc_request_whose_body_trickles_is_reset_at_the_silos_deadline_and_nothing_is_written()
    {
        using var bound = new CancellationTokenSource(Bound);
        int port = Silo.Options.GrpcPort;
        // A put the silo would take (under both limits), sent 50 bytes every 100 ms: 500 bytes/s, above Kestrel's
        // minimum rate (240), so only a deadline on the whole request stops it. The whole body would take minutes.
        byte[] message = new PutRequest { Key = "trickled", Value = Bytes(LimitedSiloFixture.BucketMaxValueBytes) }.ToByteArray();
        byte[] body = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)message.Length);
        message.CopyTo(body, 5);

        await using var h2 = await RawHttp2Client.ConnectAsync(port, bound.Token);
        await h2.SendGrpcHeadersAsync("/orleansdynamo.v1.Dynamo/Put", port, bound.Token);
        var started = DateTime.UtcNow;
        int sent = 0;
        while (!h2.Ended.IsCompleted && !bound.IsCancellationRequested && sent < body.Length - 50)
        {
            try
            {
                await h2.SendDataAsync(body.AsMemory(sent, 50), bound.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                break;
            }
            sent += 50;
            await Task.WhenAny(h2.Ended, Task.Delay(100));
        }
        var end = await h2.Ended.WaitAsync(Bound);
        var after = DateTime.UtcNow - started;

        Assert.True(sent < body.Length - 50, "the whole body was sent before the silo dropped it");
        Assert.True(end is RawHttp2End.StreamReset or RawHttp2End.Closed or RawHttp2End.GoAway, $"the request ended as {end}");
        Assert.True(after < TimeSpan.FromMilliseconds(LimitedSiloFixture.DeadlineMs) + TimeSpan.FromSeconds(15),
            $"the silo dropped the trickling request after {after.TotalSeconds:0.0} s; its deadline is {LimitedSiloFixture.DeadlineMs} ms");
        Assert.Null(await Stored("trickled"));
    }

    [Fact]
    public async Task The_http_port_closes_a_connection_that_stalls_in_its_headers_and_refuses_a_request_body()
    {
        int port = Silo.Options.HttpPort;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), bound.Token);
            // Half a request: the headers never end.
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /api/ring HTTP/1.1\r\nHost: 127.0.0.1\r\n"), bound.Token);
            var buffer = new byte[4096];
            int read;
            // Kestrel may answer 408 before it closes; the connection ends either way, well before Kestrel's default 30 s.
            while ((read = await socket.ReceiveAsync(buffer, bound.Token)) > 0)
            {
            }
            Assert.Equal(0, read);
        }

        using var http = new HttpClient { Timeout = Bound };
        var post = await http.PostAsync($"http://127.0.0.1:{port}/api/ring", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, post.StatusCode);
        Assert.Contains("take no request body", await post.Content.ReadAsStringAsync());
        var get = await http.GetAsync($"http://127.0.0.1:{port}/api/ring");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task A_caller_deadline_longer_than_the_silos_is_cut_to_the_silos()
    {
        fixture.Gate.Close();
        try
        {
            // gRPC with a deadline of an hour: status waits on the stuck hint count until the silo's deadline.
            using var bound = new CancellationTokenSource(Bound);
            var grpc = await Assert.ThrowsAsync<RpcException>(() => fixture.Grpc.GetStatusAsync(new StatusRequest(),
                new CallOptions(deadline: DateTime.UtcNow.AddHours(1), cancellationToken: bound.Token)).ResponseAsync);
            Assert.Equal(StatusCode.DeadlineExceeded, grpc.StatusCode);
            Assert.Contains($"this silo's deadline of {LimitedSiloFixture.DeadlineMs} ms (Silo:Limits:RequestDeadlineMs)", grpc.Status.Detail);

            // The SDK with a 20 s timeout: the silo's deadline answers first.
            var sdk = await fixture.Cluster.CreateClientAsync();
            var slow = await Assert.ThrowsAsync<DynamoException>(() => sdk.GetStatusAsync(Silo.GrpcAddress).WaitAsync(Bound));
            Assert.Equal(DynamoErrorKind.Timeout, slow.Kind);
            Assert.Contains("Silo:Limits:RequestDeadlineMs", slow.Message);

            // HTTP: the per-silo hints view waits on the same count.
            using var http = new HttpClient { Timeout = Bound };
            var view = await http.GetAsync($"http://127.0.0.1:{Silo.Options.HttpPort}/api/hints?scope=silo");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, view.StatusCode);
            Assert.Contains("Silo:Limits:RequestDeadlineMs", await view.Content.ReadAsStringAsync());
        }
        finally
        {
            fixture.Gate.Open();
        }
    }

    [Fact]
    public async Task Dashboard_views_that_fan_out_run_at_most_the_configured_number_at_once()
    {
        string root = $"http://127.0.0.1:{Silo.Options.HttpPort}";
        using var http = new HttpClient { Timeout = Bound };
        Task<HttpResponseMessage> held;
        fixture.Gate.Close();
        try
        {
            // One view scanning the store (held at the gate) takes the only slot.
            held = http.GetAsync(root + "/api/partitions?scope=silo");
            await TestCluster.WaitUntilAsync(() => Task.FromResult(fixture.Gate.Waiting > 0 || held.IsCompleted), TimeSpan.FromSeconds(10), "the scan to reach the store");
            Assert.False(held.IsCompleted);

            foreach (var path in new[] { "/api/cluster", "/api/partitions", "/api/hints", "/api/stats?scope=cluster", "/api/partitions?scope=silo" })
            {
                var refused = await http.GetAsync(root + path);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Contains("Silo:Limits:MaxConcurrentDashboardViews", await refused.Content.ReadAsStringAsync());
            }
            // What does not fan out or scan is served meanwhile.
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(root + "/api/ring")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(root + "/api/stats?scope=raw")).StatusCode);
        }
        finally
        {
            fixture.Gate.Open();
        }
        // The held view finishes (before the deadline, or refused by it) and gives its slot back.
        await held.WaitAsync(Bound);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(root + "/api/partitions")).StatusCode);
    }

    [Fact]
    public async Task A_transfer_of_large_values_goes_in_batches_within_the_message_limit()
    {
        // One silo holds every key; a second joins and is streamed every partition. A page of 40 keys of 60 KiB in
        // 4 partitions is about 600 KiB a partition, past the 324 KiB message limit: it must go as several batches.
        const int keys = 40, valueBytes = 60 * 1024;
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, PartitionCount = 4, N = 2, R = 1, W = 1,
            Configure = (_, o) =>
            {
                o.Limits.MaxValueBytes = LimitedSiloFixture.MaxValueBytes;
                o.DefaultBucket.MaxValueBytes = LimitedSiloFixture.MaxValueBytes;
                o.Transfer.IntervalMs = 100;
                o.Transfer.PageSize = 200;
                o.AntiEntropy.Enabled = false; // only the transfer may move keys here
            },
        });
        var names = Enumerable.Range(0, keys).Select(i => $"large-{i}").ToList();
        foreach (var key in names)
        {
            await cluster[0].Runtime.Coordinator.PutAsync(
                new Silo.Coordination.PutCommand("default", key, new byte[valueBytes], null, W: 1), CancellationToken.None);
        }

        var joined = await cluster.AddSiloAsync();
        var transfer = joined.Runtime.Feature<Silo.Transfer.OwnershipTransferFeature>()!;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(transfer.InboundPending().Count > 0 || transfer.KeysReceived > 0), TimeSpan.FromSeconds(15),
            $"{joined.Name} to see its inbound transfers");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(transfer.InboundPending().Count == 0), TimeSpan.FromSeconds(60), "the transfer to complete");

        foreach (var key in names)
            Assert.Equal(valueBytes, Assert.Single((await cluster.ReadStoreAsync(joined.Name, "default", key))!.Siblings).Value.Length);
    }

    [Fact]
    public void Bad_limits_stop_the_silo_at_start_naming_each_field()
    {
        Assert.Empty(new OrleansDynamo.Silo.Hosting.SiloOptions().Validate());
        var options = new OrleansDynamo.Silo.Hosting.SiloOptions();
        options.Limits.MaxValueBytes = 128 * 1024 * 1024;
        options.Limits.RequestDeadlineMs = 3000;
        options.Limits.RequestBodyGracePeriodMs = 1000;
        options.Limits.MaxConcurrentDashboardViews = 0;
        var errors = options.Validate();
        Assert.Contains(errors, e => e.StartsWith("Silo:Limits:MaxValueBytes must be between 1 and 67108864", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Silo:Limits:RequestDeadlineMs must be at least Silo:RequestTimeoutMs + Silo:ReplicaTimeoutMs (4000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Silo:Limits:RequestBodyGracePeriodMs must be more than 1000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Silo:Limits:MaxConcurrentDashboardViews", StringComparison.Ordinal));

        var small = new OrleansDynamo.Silo.Hosting.SiloOptions();
        small.Limits.MaxValueBytes = 1024;
        small.Limits.MaxMessageBytes = 2048;
        Assert.Contains(small.Validate(), e => e.StartsWith("Silo:Limits:MaxMessageBytes must be 0", StringComparison.Ordinal));
        Assert.Contains(small.Validate(), e => e == "Silo:DefaultBucket:MaxValueBytes (1048576) must not be above Silo:Limits:MaxValueBytes (1024)");

        // The silo does not start: one error naming the setting, as for every other setting.
        var loaded = OrleansDynamo.Silo.Hosting.SiloHost.LoadOptions(["--Silo:Limits:RequestBodyGracePeriodMs=500"]);
        var refused = Assert.Throws<OrleansDynamo.Silo.Hosting.SiloConfigurationException>(() => OrleansDynamo.Silo.Hosting.SiloHost.Build(loaded));
        Assert.Contains("Silo:Limits:RequestBodyGracePeriodMs must be more than 1000", refused.Message);
    }
}
