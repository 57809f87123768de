using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Tests;

// Grpc.Core's, not the hand-written layer's types of the same names in OrleansDynamo.Protocol (which the silo-to-silo
// transport still uses): aliases inside the namespace win over the enclosing namespace's members.
using RpcException = global::Grpc.Core.RpcException;
using Status = global::Grpc.Core.Status;
using StatusCode = global::Grpc.Core.StatusCode;

/// <summary>The generated client stub (Grpc.Net.Client, HTTP/2 cleartext) against the generated service base over loopback.</summary>
public sealed class GeneratedClientTests(GrpcServerFixture fixture) : IClassFixture<GrpcServerFixture>, IDisposable
{
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(fixture.Server.Address);

    private Dynamo.DynamoClient Client => new(_channel);

    public void Dispose() => _channel.Dispose();

    [Fact]
    public async Task Put_then_get_round_trips_the_value()
    {
        var put = await Client.PutAsync(new PutRequest { Bucket = "b", Key = "k1", Value = ByteString.CopyFromUtf8("v1") });
        Assert.Equal("ctx-k1", put.Context);
        Assert.Equal(1u, put.ReplicasAcked);

        var get = await Client.GetAsync(new GetRequest { Bucket = "b", Key = "k1" }, deadline: DateTime.UtcNow.AddSeconds(10));
        Assert.True(get.Found);
        Assert.Equal("v1", Assert.Single(get.Siblings).Value.ToStringUtf8());
    }

    [Fact]
    public async Task A_status_reaches_the_client_with_its_exact_message()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.PutAsync(new PutRequest { Key = "" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal(GrpcTestServer.EmptyKeyDetail, e.Status.Detail);
    }

    [Fact]
    public async Task A_method_the_server_does_not_implement_is_unimplemented()
    {
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.GetRingAsync(new GetRingRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
    }
}
