using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Tests;

// Grpc.Core's, not the hand-written layer's types of the same names in OrleansDynamo.Protocol (which the silo-to-silo
// transport still uses): aliases inside the namespace win over the enclosing namespace's members.
using RpcException = global::Grpc.Core.RpcException;
using Status = global::Grpc.Core.Status;
using StatusCode = global::Grpc.Core.StatusCode;

/// <summary>
/// A real Kestrel on 127.0.0.1 (a free port, HTTP/2 cleartext) serving a fake in-memory orleansdynamo.v1.Dynamo
/// Put/Get with Grpc.AspNetCore from the generated service base: what a third-party client sees of the contract.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    /// <summary>The detail the fake Put answers with for an empty key: non-ASCII and '%' test the percent-encoding.</summary>
    public const string EmptyKeyDetail = "key must not be empty: ünïcode % 100% ✓";

    private readonly WebApplication _app;

    private GrpcTestServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address { get; }

    public int Port => Address.Port;

    public static async Task<GrpcTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<FakeDynamo>();
        var app = builder.Build();
        app.MapGrpcService<FakeDynamo>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new GrpcTestServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Put and Get on a dictionary; the other methods stay unimplemented.</summary>
    private sealed class FakeDynamo : Dynamo.DynamoBase
    {
        private readonly ConcurrentDictionary<(string Bucket, string Key), ByteString> _store = new();

        public override Task<PutResponse> Put(PutRequest request, ServerCallContext context)
        {
            if (request.Key.Length == 0)
                throw new RpcException(new Status(StatusCode.InvalidArgument, EmptyKeyDetail));
            _store[(request.Bucket, request.Key)] = request.Value;
            return Task.FromResult(new PutResponse { Context = "ctx-" + request.Key, ReplicasAcked = 1, Coordinator = "fake" });
        }

        public override Task<GetResponse> Get(GetRequest request, ServerCallContext context)
        {
            var response = new GetResponse { Coordinator = "fake", ReplicasAnswered = 1, Context = "ctx-" + request.Key };
            if (_store.TryGetValue((request.Bucket, request.Key), out var value))
            {
                response.Found = true;
                response.Siblings.Add(new Sibling { Value = value, TimestampMs = 1 });
            }
            return Task.FromResult(response);
        }
    }
}
