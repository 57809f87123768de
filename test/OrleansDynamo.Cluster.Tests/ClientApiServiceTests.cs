using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>One silo (N=1) and a plain generated gRPC client, no SDK in between, shared by <see cref="ClientApiServiceTests"/>.</summary>
public sealed class SingleSiloFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public Dynamo.DynamoClient Client => new(Channel);

    public async Task InitializeAsync()
    {
        Cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 1, N = 1, R = 1, W = 1 });
        Channel = GrpcChannel.ForAddress(Cluster[0].GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        Channel.Dispose();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// The client API service on a real silo, called with the generated stub as any gRPC client would (so the SDK's own
/// checks do not stand in front of the silo's): answers map to the wire, and failures to the status codes clients
/// rely on, with nothing written on bad input.
/// </summary>
public sealed class ClientApiServiceTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private Dynamo.DynamoClient Client => fixture.Client;

    private static CallOptions Deadline => new(deadline: DateTime.UtcNow.AddSeconds(10));

    private static async Task<RpcException> Refused(StatusCode code, string fragment, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, e.StatusCode);
        Assert.Contains(fragment, e.Status.Detail, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task Put_get_and_delete_round_trip_through_the_service()
    {
        var put = await Client.PutAsync(new PutRequest { Key = "rt", Value = ByteString.CopyFromUtf8("v1") }, Deadline);
        Assert.Equal("silo0", put.Coordinator);
        Assert.Equal(1u, put.ReplicasAcked);
        Assert.NotEmpty(put.Context);

        var got = await Client.GetAsync(new GetRequest { Bucket = "default", Key = "rt" }, Deadline);
        Assert.True(got.Found);
        Assert.Equal("v1", Assert.Single(got.Siblings).Value.ToStringUtf8());
        Assert.Equal("silo0", got.FastestReplica);

        await Client.DeleteAsync(new DeleteRequest { Key = "rt", Context = got.Context }, Deadline);
        var gone = await Client.GetAsync(new GetRequest { Key = "rt" }, Deadline);
        Assert.False(gone.Found);
        Assert.Empty(gone.Siblings);
    }

    [Fact]
    public async Task Bad_input_is_invalid_argument_and_nothing_is_written()
    {
        await Refused(StatusCode.InvalidArgument, "key must not be empty",
            () => Client.PutAsync(new PutRequest { Key = "", Value = ByteString.CopyFromUtf8("v") }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "1024 bytes",
            () => Client.PutAsync(new PutRequest { Key = new string('k', 1025), Value = ByteString.CopyFromUtf8("v") }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "at most 1048576 bytes",
            () => Client.PutAsync(new PutRequest { Key = "big", Value = ByteString.CopyFrom(new byte[1024 * 1024 + 1]) }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "context does not decode",
            () => Client.PutAsync(new PutRequest { Key = "ctx", Value = ByteString.CopyFromUtf8("v"), Context = "AAAA" }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "context does not decode",
            () => Client.DeleteAsync(new DeleteRequest { Key = "ctx-delete", Context = "not base64 at all!" }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "W must be between 1 and N=1, got 2",
            () => Client.PutAsync(new PutRequest { Key = "w2", Value = ByteString.CopyFromUtf8("v"), W = 2 }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "R must be between 1 and N=1, got 2",
            () => Client.GetAsync(new GetRequest { Key = "r2", R = 2 }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "key must not be empty",
            () => Client.GetReplicasAsync(new GetReplicasRequest { Key = "" }, Deadline).ResponseAsync);

        var silo = fixture.Cluster[0];
        foreach (var key in new[] { "big", "ctx", "ctx-delete", "w2" })
            Assert.Null(await fixture.Cluster.ReadStoreAsync(silo.Name, "default", key));
        Assert.Null(await fixture.Cluster.ReadStoreAsync(silo.Name, "default", new string('k', 1025)));
    }

    [Fact]
    public async Task A_puts_content_type_comes_back_with_the_value_and_a_bad_one_is_invalid_argument_and_writes_nothing()
    {
        await Client.PutAsync(new PutRequest { Key = "ct", Value = ByteString.CopyFromUtf8("{}"), ContentType = "application/json" }, Deadline);
        var got = await Client.GetAsync(new GetRequest { Key = "ct" }, Deadline);
        Assert.Equal(("{}", "application/json"), (Assert.Single(got.Siblings).Value.ToStringUtf8(), got.Siblings[0].ContentType));
        var held = await Client.GetReplicasAsync(new GetReplicasRequest { Key = "ct" }, Deadline);
        Assert.Equal("application/json", Assert.Single(Assert.Single(held.Replicas).Siblings).ContentType);
        // A put with the context and no type replaces the value and its type: the new value has none.
        await Client.PutAsync(new PutRequest { Key = "ct", Value = ByteString.CopyFromUtf8("plain"), Context = got.Context }, Deadline);
        Assert.Equal("", Assert.Single((await Client.GetAsync(new GetRequest { Key = "ct" }, Deadline)).Siblings).ContentType);

        await Refused(StatusCode.InvalidArgument, "content type 'json' is not a media type",
            () => Client.PutAsync(new PutRequest { Key = "ct-bad", Value = ByteString.CopyFromUtf8("v"), ContentType = "json" }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "not printable ASCII",
            () => Client.PutAsync(new PutRequest { Key = "ct-bad", Value = ByteString.CopyFromUtf8("v"), ContentType = "text/plain\r\nX-Injected: 1" }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "the limit is 255",
            () => Client.PutAsync(new PutRequest { Key = "ct-bad", Value = ByteString.CopyFromUtf8("v"), ContentType = "a/" + new string('b', 254) }, Deadline).ResponseAsync);
        Assert.Null(await fixture.Cluster.ReadStoreAsync(fixture.Cluster[0].Name, "default", "ct-bad"));
    }

    [Fact]
    public async Task An_unknown_bucket_is_not_found()
    {
        await Refused(StatusCode.NotFound, "unknown bucket 'nosuchbucket'",
            () => Client.PutAsync(new PutRequest { Bucket = "nosuchbucket", Key = "k", Value = ByteString.CopyFromUtf8("v") }, Deadline).ResponseAsync);
        await Refused(StatusCode.NotFound, "unknown bucket 'nosuchbucket'",
            () => Client.GetAsync(new GetRequest { Bucket = "nosuchbucket", Key = "k" }, Deadline).ResponseAsync);
        await Refused(StatusCode.NotFound, "unknown bucket 'nosuchbucket'",
            () => Client.GetReplicasAsync(new GetReplicasRequest { Bucket = "nosuchbucket", Key = "k" }, Deadline).ResponseAsync);
    }

    [Fact]
    public async Task Admin_requests_map_their_failures_to_status_codes()
    {
        await Refused(StatusCode.InvalidArgument, "bucket settings are missing",
            () => Client.CreateBucketAsync(new CreateBucketRequest(), Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "unknown conflict policy 'newest'",
            () => Client.CreateBucketAsync(new CreateBucketRequest { Bucket = new BucketInfo { Name = "b", Policy = "newest" } }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "the default bucket's settings come from the silo configuration",
            () => Client.CreateBucketAsync(new CreateBucketRequest { Bucket = new BucketInfo { Name = "default" } }, Deadline).ResponseAsync);
        await Refused(StatusCode.InvalidArgument, "partition must be -1 (all) or 0..63, got 64",
            () => Client.RepairAsync(new RepairRequest { Partition = 64 }, Deadline).ResponseAsync);
        await Refused(StatusCode.FailedPrecondition, "send join to the silo that joins",
            () => Client.JoinAsync(new JoinRequest { SiloAddress = "http://127.0.0.1:1" }, Deadline).ResponseAsync);
    }

    [Fact]
    public async Task Admin_answers_map_to_the_wire()
    {
        var bucket = await Client.CreateBucketAsync(new CreateBucketRequest { Bucket = new BucketInfo { Name = "wired", Policy = "last-write-wins", MaxValueBytes = 64 } }, Deadline);
        Assert.Equal(("wired", 1u, 1u, 1u, "last-write-wins", 64u), (bucket.Name, bucket.N, bucket.R, bucket.W, bucket.Policy, bucket.MaxValueBytes));

        var ring = await Client.GetRingAsync(new GetRingRequest(), Deadline);
        Assert.Equal(("test", 64u, "silo0"), (ring.ClusterName, ring.PartitionCount, ring.AnsweredBy));
        var silo = Assert.Single(ring.Silos);
        Assert.Equal(("silo0", fixture.Cluster[0].GrpcAddress, "up", 64u), (silo.Name, silo.GrpcAddress, silo.Status, silo.Partitions));
        Assert.Equal(64, ring.Owners.Count);
        Assert.All(ring.Owners, o => Assert.Equal(0u, o));
        Assert.Contains(ring.Buckets, b => b.Name == "default");

        var status = await Client.GetStatusAsync(new StatusRequest(), Deadline);
        Assert.Equal("silo0", status.Silo);
        Assert.Equal("up", Assert.Single(status.Silos).Status);

        var replicas = await Client.GetReplicasAsync(new GetReplicasRequest { Key = "absent" }, Deadline);
        Assert.Equal(["silo0"], replicas.PreferenceList);
        var replica = Assert.Single(replicas.Replicas);
        Assert.True(replica.Reachable);
        Assert.False(replica.Found);

        var repair = await Client.RepairAsync(new RepairRequest { Partition = -1 }, Deadline);
        Assert.StartsWith("silo0", repair.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_methods_and_services_are_unimplemented()
    {
        var invoker = fixture.Channel.CreateCallInvoker();
        foreach (var (service, name) in new[] { ("orleansdynamo.v1.Dynamo", "NoSuchMethod"), ("no.such.Service", "Put") })
        {
            var method = new Method<GetRingRequest, RingInfo>(MethodType.Unary, service, name,
                Marshallers.Create(r => r.ToByteArray(), GetRingRequest.Parser.ParseFrom), Marshallers.Create(r => r.ToByteArray(), RingInfo.Parser.ParseFrom));
            var e = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(method, null, Deadline, new GetRingRequest()).ResponseAsync);
            Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        }
    }
}
