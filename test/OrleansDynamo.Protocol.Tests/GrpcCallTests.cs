using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Tests;

/// <summary>Our client against our server over real HTTP/2 on loopback.</summary>
public sealed class GrpcCallTests(GrpcServerFixture fixture) : IClassFixture<GrpcServerFixture>
{
    private const string Dynamo = GrpcTestServer.DynamoService;
    private const string Probe = GrpcTestServer.ProbeService;
    private readonly GrpcConnection _connection = fixture.Connection;

    [Fact]
    public async Task Put_then_get_round_trips_the_value()
    {
        var put = await _connection.UnaryAsync(Dynamo, "Put",
            new PutRequest { Bucket = "b", Key = "k1", Value = ByteString.CopyFromUtf8("v1") }, PutResponse.Parser);
        Assert.Equal("ctx-k1", put.Context);
        Assert.Equal(1u, put.ReplicasAcked);

        var get = await _connection.UnaryAsync(Dynamo, "Get", new GetRequest { Bucket = "b", Key = "k1" }, GetResponse.Parser);
        Assert.True(get.Found);
        Assert.Equal("v1", Assert.Single(get.Siblings).Value.ToStringUtf8());
    }

    [Fact]
    public async Task Empty_messages_round_trip()
    {
        var get = await _connection.UnaryAsync(Dynamo, "Get", new GetRequest(), GetResponse.Parser);
        Assert.False(get.Found);
    }

    [Fact]
    public async Task RpcException_from_handler_reaches_client_with_exact_status_and_message()
    {
        const string detail = "msg with ünïcode % and 100%25 literally, 日本語, emoji 🚀";
        var e = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(Probe, "Fail",
            new PutRequest { W = (uint)StatusCode.InvalidArgument, Context = detail }, PutResponse.Parser));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(detail, e.Detail);
    }

    [Fact]
    public async Task Other_handler_exception_is_internal()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            _connection.UnaryAsync(Probe, "Crash", new PutRequest(), PutResponse.Parser));
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("boom", e.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Dynamo, "NoSuchMethod")]
    [InlineData("no.such.Service", "Put")]
    public async Task Unknown_method_is_unimplemented(string service, string method)
    {
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            _connection.UnaryAsync(service, method, new PutRequest(), PutResponse.Parser));
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }

    [Fact]
    public async Task Deadline_reaches_handler_and_fires_its_token()
    {
        fixture.Server.ResetSlowObservation();
        var before = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<RpcException>(() => _connection.UnaryAsync(Probe, "Slow", new PutRequest(),
            PutResponse.Parser, timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);

        var (deadline, cancelled) = await fixture.Server.SlowObserved.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(deadline);
        Assert.InRange(deadline.Value, before, before.AddSeconds(5));
        Assert.True(cancelled);
    }

    [Fact]
    public async Task Client_cancellation_cancels_the_call_and_the_handler()
    {
        fixture.Server.ResetSlowObservation();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _connection.UnaryAsync(Probe, "Slow", new PutRequest(), PutResponse.Parser, cancellationToken: cts.Token));
        var (deadline, cancelled) = await fixture.Server.SlowObserved.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(deadline);
        Assert.True(cancelled);
    }

    [Fact]
    public async Task Unreachable_address_is_unavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens on this port now

        using var connection = new GrpcConnection(new Uri($"http://127.0.0.1:{port}"));
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            connection.UnaryAsync(Dynamo, "Get", new GetRequest { Key = "k" }, GetResponse.Parser, TimeSpan.FromSeconds(5)));
        Assert.Equal(StatusCode.Unavailable, e.StatusCode);
        Assert.StartsWith($"http://127.0.0.1:{port}/: ", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_MiB_message_round_trips()
    {
        var value = new byte[1024 * 1024];
        new Random(42).NextBytes(value);
        var reply = await _connection.UnaryAsync(Probe, "Echo",
            new PutRequest { Key = "big", Value = ByteString.CopyFrom(value) }, GetResponse.Parser, TimeSpan.FromSeconds(30));
        Assert.True(reply.Siblings[0].Value.Span.SequenceEqual(value));
    }

    [Fact]
    public async Task Message_over_the_limit_is_resource_exhausted()
    {
        using var small = new GrpcConnection(fixture.Server.Address, new GrpcConnectionOptions { MaxReceiveMessageBytes = 1000 });
        var e = await Assert.ThrowsAsync<RpcException>(() => small.UnaryAsync(Probe, "Echo",
            new PutRequest { Value = ByteString.CopyFrom(new byte[5000]) }, GetResponse.Parser));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);

        var tooBig = new PutRequest { Value = ByteString.CopyFrom(new byte[GrpcServerOptions.DefaultMaxMessageBytes + 1]) };
        using var large = new GrpcConnection(fixture.Server.Address, new GrpcConnectionOptions { MaxSendMessageBytes = int.MaxValue });
        e = await Assert.ThrowsAsync<RpcException>(() => large.UnaryAsync(Probe, "Echo", tooBig, GetResponse.Parser));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Sixty_four_concurrent_calls_all_succeed()
    {
        var calls = Enumerable.Range(0, 64).Select(i => _connection.UnaryAsync(Probe, "Echo",
            new PutRequest { Key = "k" + i, Value = ByteString.CopyFromUtf8("v" + i) }, GetResponse.Parser, TimeSpan.FromSeconds(30)));
        var replies = await Task.WhenAll(calls);
        for (var i = 0; i < replies.Length; i++)
        {
            Assert.Equal("k" + i, replies[i].Context);
            Assert.Equal("v" + i, replies[i].Siblings[0].Value.ToStringUtf8());
        }
    }

    [Fact]
    public async Task Pool_returns_one_connection_per_address()
    {
        await using var pool = new GrpcConnectionPool();
        var a = pool.Get(fixture.Server.Address.ToString());
        Assert.Same(a, pool.Get(fixture.Server.Address));
        var reply = await a.UnaryAsync(Dynamo, "Get", new GetRequest { Key = "nope" }, GetResponse.Parser);
        Assert.False(reply.Found);
        Assert.Equal(1, pool.Count);
        Assert.True(pool.Remove(fixture.Server.Address.ToString()));
        Assert.Equal(0, pool.Count);
    }
}
