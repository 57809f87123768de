using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Tests;

/// <summary>
/// A real Kestrel on 127.0.0.1 (a free port) serving a fake in-memory orleansdynamo.v1.Dynamo Put/Get and a
/// probe service whose methods fail, stall or echo on purpose.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    public const string DynamoService = "orleansdynamo.v1.Dynamo";
    public const string ProbeService = "orleansdynamo.test.Probe";
    /// <summary>The detail the fake Put answers with for an empty key: non-ASCII and '%' test the percent-encoding.</summary>
    public const string EmptyKeyDetail = "key must not be empty: ünïcode % 100% ✓";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(string Bucket, string Key), ByteString> _store = new();

    private GrpcTestServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address, e.g. http://127.0.0.1:41234.</summary>
    public Uri Address { get; }

    public int Port => Address.Port;

    /// <summary>What the Slow probe saw: its deadline and whether its token fired.</summary>
    public TaskCompletionSource<(DateTime? Deadline, bool Cancelled)> SlowObserved { get; private set; } = NewObservation();

    public static async Task<GrpcTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.ListenGrpc(IPAddress.Loopback, 0));
        var app = builder.Build();
        var holder = new GrpcTestServer[1];
        Map(app, () => holder[0]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        holder[0] = new GrpcTestServer(app, new Uri(address));
        return holder[0];
    }

    public void ResetSlowObservation() => SlowObserved = NewObservation();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static TaskCompletionSource<(DateTime?, bool)> NewObservation() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Map(WebApplication app, Func<GrpcTestServer> server)
    {
        app.MapGrpcUnary<PutRequest, PutResponse>(DynamoService, "Put", (request, _) =>
        {
            if (request.Key.Length == 0)
                throw new RpcException(StatusCode.InvalidArgument, EmptyKeyDetail);
            server()._store[(request.Bucket, request.Key)] = request.Value;
            return Task.FromResult(new PutResponse { Context = "ctx-" + request.Key, ReplicasAcked = 1, Coordinator = "fake" });
        });
        app.MapGrpcUnary<GetRequest, GetResponse>(DynamoService, "Get", (request, _) =>
        {
            var response = new GetResponse { Coordinator = "fake", ReplicasAnswered = 1, Context = "ctx-" + request.Key };
            if (server()._store.TryGetValue((request.Bucket, request.Key), out var value))
            {
                response.Found = true;
                response.Siblings.Add(new Sibling { Value = value, TimestampMs = 1 });
            }
            return Task.FromResult(response);
        });
        app.MapGrpcUnary<PutRequest, GetResponse>(ProbeService, "Echo", (request, _) =>
            Task.FromResult(new GetResponse { Found = true, Context = request.Key, Siblings = { new Sibling { Value = request.Value } } }));
        app.MapGrpcUnary<PutRequest, PutResponse>(ProbeService, "Fail", (request, _) =>
            throw new RpcException((StatusCode)request.W, request.Context));
        app.MapGrpcUnary<PutRequest, PutResponse>(ProbeService, "Crash", (_, _) =>
            throw new InvalidOperationException("boom"));
        app.MapGrpcUnary<PutRequest, PutResponse>(ProbeService, "Slow", async (_, context) =>
        {
            var observed = server().SlowObserved;
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);
                return new PutResponse();
            }
            finally
            {
                observed.TrySetResult((context.Deadline, context.CancellationToken.IsCancellationRequested));
            }
        });
        app.MapGrpcUnimplemented();
    }
}
