using System.Net;
using System.Net.Http.Headers;
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
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Security;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Three silos that require API keys: one of the data role, one of the admin role.</summary>
public sealed class ApiKeyClusterFixture : IAsyncLifetime
{
    public string DataKey { get; } = ApiKeys.Generate();

    public string AdminKey { get; } = ApiKeys.Generate();

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await StartAsync(3, DataKey, AdminKey);

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();

    public static Task<TestCluster> StartAsync(int silos, string dataKey, string adminKey) => TestCluster.StartAsync(new TestClusterOptions
    {
        Silos = silos,
        OrleansDashboard = true,
        Configure = (_, o) => o.Auth = new AuthOptions
        {
            Keys =
            [
                new ApiKeyOptions { Name = "app", Role = "data", Sha256 = ApiKeys.Hash(dataKey) },
                new ApiKeyOptions { Name = "ops", Role = "admin", Sha256 = ApiKeys.Hash(adminKey) },
            ],
        },
    });
}

/// <summary>
/// Issue 15, item 2: a client without a key cannot get or put, by the SDK's grain calls or by a raw gRPC call; a data
/// key reads and writes but every admin verb is refused with PERMISSION_DENIED and changes nothing; an admin key may do
/// everything; an existing bucket's N changes only with force; the dashboard's JSON API asks for the same keys.
/// </summary>
public sealed class ApiKeyClusterTests(ApiKeyClusterFixture fixture) : IClassFixture<ApiKeyClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private static CallOptions WithKey(string? key) =>
        new(key is null ? null : new Metadata { { ApiKeys.Header, ApiKeys.Bearer(key) } }, DateTime.UtcNow.AddSeconds(10));

    private static async Task<DynamoException> Refused(DynamoErrorKind kind, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<DynamoException>(call);
        Assert.Equal(kind, e.Kind);
        return e;
    }

    [Fact]
    public async Task A_client_without_a_key_or_with_an_unknown_one_cannot_get_or_put_on_either_path()
    {
        await using (var seeded = await Cluster.CreateClientAsync(o => o.ApiKey = fixture.DataKey))
            await seeded.PutAsync("secret", "v");

        // The SDK: its first call (the ring) is refused, and the refusal is thrown as it is, not as "no silo answered".
        var noKey = await Refused(DynamoErrorKind.Unauthenticated, () => Cluster.CreateClientAsync());
        Assert.Contains("needs an API key", noKey.Message);
        await Refused(DynamoErrorKind.Unauthenticated, () => Cluster.CreateClientAsync(o => o.ApiKey = ApiKeys.Generate()));
        var lazy = new DynamoClient(new DynamoClientOptions { Seeds = [Cluster[0].GrpcAddress] });
        await using (lazy)
        {
            await Refused(DynamoErrorKind.Unauthenticated, () => lazy.PutAsync("secret", "overwritten"));
            await Refused(DynamoErrorKind.Unauthenticated, () => lazy.GetAsync("secret"));
        }

        // A raw gRPC call, without the header or with an unknown key.
        using var channel = GrpcChannel.ForAddress(Cluster[1].GrpcAddress);
        var grpc = new Dynamo.DynamoClient(channel);
        foreach (var key in new[] { null, ApiKeys.Generate() })
        {
            var get = await Assert.ThrowsAsync<RpcException>(async () => await grpc.GetAsync(new GetRequest { Key = "secret" }, WithKey(key)));
            Assert.Equal(StatusCode.Unauthenticated, get.StatusCode);
            var put = await Assert.ThrowsAsync<RpcException>(async () =>
                await grpc.PutAsync(new PutRequest { Key = "secret", Value = ByteString.CopyFromUtf8("overwritten") }, WithKey(key)));
            Assert.Equal(StatusCode.Unauthenticated, put.StatusCode);
            var replica = await Assert.ThrowsAsync<RpcException>(async () =>
                await grpc.ReadReplicaAsync(new ReadReplicaRequest { Key = "secret" }, WithKey(key)));
            Assert.Equal(StatusCode.Unauthenticated, replica.StatusCode);
        }

        // A plain Orleans client straight to a gateway: the grain call carries no key and is refused.
        var orleans = new HostBuilder()
            .UseOrleansClient(c =>
            {
                c.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, Cluster[2].Options.GatewayPort));
                c.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (Cluster[2].Options.ClusterName, DynamoCluster.ServiceId));
            })
            .Build();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await orleans.StartAsync(deadline.Token);
            var api = orleans.Services.GetRequiredService<IClusterClient>().GetGrain<IDynamoApiGrain>(IDynamoApiGrain.Key);
            await Refused(DynamoErrorKind.Unauthenticated, () => api.Put(new PutRequest { Key = "secret", Value = ByteString.CopyFromUtf8("overwritten") }, deadline.Token));
            await Refused(DynamoErrorKind.Unauthenticated, () => api.Get(new GetRequest { Key = "secret" }, deadline.Token));
            await Refused(DynamoErrorKind.Unauthenticated, () => api.ReadReplica(new ReadReplicaRequest { Key = "secret" }, deadline.Token));
            await orleans.StopAsync(deadline.Token);

            await using var owner = await Cluster.CreateClientAsync(o => o.ApiKey = fixture.DataKey);
            Assert.Equal("v", Assert.Single((await owner.GetAsync("secret")).Siblings).ValueAsString);
            // A data key reads the replicas directly too.
            await using var reader = await Cluster.CreateClientAsync(o => (o.ApiKey, o.Coordination) = (fixture.DataKey, CoordinationMode.ClientReads));
            var direct = await reader.GetAsync("secret");
            Assert.Equal(("v", ""), (Assert.Single(direct.Siblings).ValueAsString, direct.Coordinator));
        }
        finally
        {
            await orleans.CloseAsync();
        }
    }

    [Fact]
    public async Task A_data_key_gets_puts_and_deletes_but_every_admin_verb_is_refused_and_changes_nothing()
    {
        await using var client = await Cluster.CreateClientAsync(o => o.ApiKey = fixture.DataKey);
        var put = await client.PutAsync("data-role", "v1");
        Assert.Equal("v1", Assert.Single((await client.GetAsync("data-role")).Siblings).ValueAsString);
        await client.DeleteAsync("data-role", put);
        Assert.False((await client.GetAsync("data-role")).Found);
        Assert.Equal(3, (await client.GetStatusAsync()).Silos.Count);

        long version = Cluster[0].Runtime.Membership.State.Version;
        string seed = Cluster[0].GrpcAddress, joiner = Cluster[1].GrpcAddress;
        var refusals = new (string Verb, Func<Task> Call)[]
        {
            ("bucket create", () => client.CreateBucketAsync(new BucketSettings("data-made", N: 2, R: 1, W: 1))),
            ("join", () => client.JoinAsync(seed, joiner)),
            ("leave", () => client.LeaveAsync(Cluster[2].Name)),
            ("repair", () => client.RepairAsync()),
            ("replicas", () => client.GetReplicasAsync("default", "data-role")),
        };
        foreach (var (verb, call) in refusals)
        {
            var e = await Refused(DynamoErrorKind.PermissionDenied, call);
            Assert.Contains($"{verb} needs the admin role; key 'app' has the data role", e.Message);
        }

        // The same over raw gRPC: PERMISSION_DENIED.
        using var channel = GrpcChannel.ForAddress(Cluster[0].GrpcAddress);
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await new Dynamo.DynamoClient(channel).CreateBucketAsync(
            new CreateBucketRequest { Bucket = new BucketInfo { Name = "data-made", N = 2, R = 1, W = 1 } }, WithKey(fixture.DataKey)));
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        Assert.All(Cluster.Running, s =>
        {
            Assert.Equal(version, s.Runtime.Membership.State.Version);
            Assert.False(s.Runtime.Membership.State.Buckets.ContainsKey("data-made"));
            Assert.All(s.Runtime.Membership.State.Members.Values, m => Assert.Equal(Core.Membership.MemberStatus.Up, m.Status));
        });
    }

    [Fact]
    public async Task An_admin_key_creates_buckets_repairs_and_joins_and_changes_a_buckets_N_only_with_force()
    {
        await using var admin = await Cluster.CreateClientAsync(o => o.ApiKey = fixture.AdminKey);
        var created = await admin.CreateBucketAsync(new BucketSettings("orders", N: 3, R: 2, W: 2));
        Assert.Equal(3, created.N);
        // The check reads the answering silo's buckets (which spread by gossip): wait until every silo has the settings.
        Task Everywhere(Func<BucketSettings, bool> settled) => TestCluster.WaitUntilAsync(
            () => Task.FromResult(Cluster.Running.All(s => s.Runtime.Membership.State.Buckets.TryGetValue("orders", out var b) && settled(b))),
            TimeSpan.FromSeconds(30), "the bucket's settings to reach every silo");
        await Everywhere(_ => true);
        // Same N and policy, other R: no force needed.
        Assert.Equal(1, (await admin.CreateBucketAsync(new BucketSettings("orders", N: 3, R: 1, W: 2))).R);
        await Everywhere(b => b.R == 1);
        var refused = await Refused(DynamoErrorKind.FailedPrecondition,
            () => admin.CreateBucketAsync(new BucketSettings("orders", N: 2, R: 1, W: 1, Policy: Core.Coordination.ConflictPolicy.LastWriteWins)));
        Assert.Contains("N 3 -> 2, policy siblings -> last-write-wins", refused.Message);
        Assert.Contains("force", refused.Message);
        Assert.All(Cluster.Running, s => Assert.Equal(3, s.Runtime.Membership.State.Buckets["orders"].N));

        var forced = await admin.CreateBucketAsync(new BucketSettings("orders", N: 2, R: 1, W: 1), force: true);
        Assert.Equal(2, forced.N);
        await Everywhere(b => b.N == 2);

        Assert.Contains("exchange(s) finished", await admin.RepairAsync(endpoint: Cluster[0].GrpcAddress));
        Assert.Contains("member already", await admin.JoinAsync(Cluster[0].GrpcAddress, Cluster[1].GrpcAddress));
        Assert.Equal(2, (await admin.GetReplicasAsync("orders", "k")).PreferenceList.Count);
    }

    [Fact]
    public async Task The_dashboards_json_api_needs_a_key_the_key_lookup_an_admin_key_and_the_host_must_be_the_silos()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20), BaseAddress = new Uri(Cluster[0].HttpAddress!) };
        async Task<HttpStatusCode> Get(string path, string? key, string? host = null, string scheme = "Bearer")
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (key is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue(scheme, scheme == "Basic" ? Convert.ToBase64String(Encoding.UTF8.GetBytes("any:" + key)) : key);
            if (host is not null) request.Headers.Host = host;
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api/cluster", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api/ring", ApiKeys.Generate()));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/cluster", fixture.DataKey));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/partitions", fixture.DataKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api/key?key=k", null));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/api/key?key=k", fixture.DataKey));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/key?key=k", fixture.AdminKey));

        // What the silos fetch from each other carries only counts, like /metrics: no key needed.
        Assert.Equal(HttpStatusCode.OK, await Get("/api/stats?scope=raw", null));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/hints?scope=silo", null));
        Assert.Equal(HttpStatusCode.OK, await Get("/metrics", null));
        Assert.Equal(HttpStatusCode.OK, await Get("/", null));

        // A Host that is not this silo's (DNS rebinding): refused, key or not.
        Assert.Equal(HttpStatusCode.BadRequest, await Get("/api/cluster", fixture.AdminKey, host: "attacker.example:80"));
        Assert.Equal(HttpStatusCode.BadRequest, await Get("/", null, host: "attacker.example"));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/cluster", fixture.DataKey, host: "localhost"));

        // The Orleans dashboard: the same rules, and the key may come as a Basic password, which a browser asks for itself.
        using (var challenge = await http.GetAsync("/orleans/"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
            Assert.Equal("Basic", challenge.Headers.WwwAuthenticate.Single().Scheme);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/orleans/ClusterStats", ApiKeys.Generate(), scheme: "Basic"));
        Assert.Equal(HttpStatusCode.OK, await Get("/orleans/", fixture.DataKey, scheme: "Basic"));
        Assert.Equal(HttpStatusCode.OK, await Get("/orleans/version", fixture.DataKey));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/orleans/GrainState?grainId=x&grainType=y", fixture.DataKey, scheme: "Basic"));
        Assert.NotEqual(HttpStatusCode.Forbidden, await Get("/orleans/GrainState?grainId=x&grainType=y", fixture.AdminKey, scheme: "Basic"));
        Assert.Equal(HttpStatusCode.BadRequest, await Get("/orleans/", fixture.AdminKey, host: "attacker.example", scheme: "Basic"));
    }

    [Fact]
    public async Task An_admin_key_makes_a_silo_leave_and_a_data_key_cannot()
    {
        string data = ApiKeys.Generate(), adminKey = ApiKeys.Generate();
        await using var cluster = await ApiKeyClusterFixture.StartAsync(3, data, adminKey);
        await using var reader = await cluster.CreateClientAsync(o => o.ApiKey = data);
        await Refused(DynamoErrorKind.PermissionDenied, () => reader.LeaveAsync(cluster[2].Name));
        Assert.Equal(Core.Membership.MemberStatus.Up, cluster[0].Runtime.Membership.State.Member(cluster[2].Name)!.Status);

        await using var admin = await cluster.CreateClientAsync(o => o.ApiKey = adminKey);
        await admin.LeaveAsync(cluster[2].Name);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster[0].Runtime.Membership.State.Member(cluster[2].Name)!.Status != Core.Membership.MemberStatus.Up),
            TimeSpan.FromSeconds(30), "the leave to be recorded");
    }
}
