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
/// Calls combined into <c>/{service}/Batch</c> requests by <see cref="GrpcCallBatcher"/>, against a real Kestrel. A
/// "Hold" method parks its call until the test opens the gate, so the calls made meanwhile queue deterministically
/// behind it and leave as one batch.
/// </summary>
public sealed class GrpcBatchingTests : IAsyncLifetime
{
    private const string Service = "orleansdynamo.test.Batching";
    private readonly List<WebApplication> _apps = [];
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _holdsStarted;
    private DateTime? _lastDeadlineSeen;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _gate.TrySetResult();
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Calls_made_while_the_limit_is_reached_leave_as_one_batch_and_each_gets_its_own_answer()
    {
        using var connection = new GrpcConnection(await StartServerAsync(batching: true));
        var batcher = connection.Batcher(Service, new GrpcBatchingOptions { MaxRequestsInFlight = 1 });

        var held = batcher.UnaryAsync("Hold", new PutRequest { Key = "first" }, GetResponse.Parser, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => Volatile.Read(ref _holdsStarted) == 1);
        var queued = Enumerable.Range(0, 20)
            .Select(i => batcher.UnaryAsync("Echo", new PutRequest { Key = $"k{i}", Value = ByteString.CopyFromUtf8($"v{i}") }, GetResponse.Parser, TimeSpan.FromSeconds(30)))
            .ToArray();
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        _gate.TrySetResult();
        Assert.Equal("first", (await held).Context);
        var answers = await Task.WhenAll(queued);
        for (var i = 0; i < answers.Length; i++)
        {
            Assert.Equal($"k{i}", answers[i].Context);
            Assert.Equal($"v{i}", answers[i].Siblings[0].Value.ToStringUtf8());
        }
        Assert.Equal(21, batcher.Calls);
        Assert.Equal(1, batcher.Batches);
        Assert.Equal(20, batcher.BatchedCalls);
    }

    [Fact]
    public async Task Each_call_in_a_batch_fails_or_succeeds_on_its_own()
    {
        using var connection = new GrpcConnection(await StartServerAsync(batching: true));
        var batcher = connection.Batcher(Service, new GrpcBatchingOptions { MaxRequestsInFlight = 1 });

        var held = batcher.UnaryAsync("Hold", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => Volatile.Read(ref _holdsStarted) == 1);
        var ok = batcher.UnaryAsync("Echo", new PutRequest { Key = "fine" }, GetResponse.Parser, TimeSpan.FromSeconds(30));
        var invalid = batcher.UnaryAsync("Fail", new PutRequest { W = (uint)StatusCode.InvalidArgument, Context = "bad key ü" }, GetResponse.Parser, TimeSpan.FromSeconds(30));
        var crash = batcher.UnaryAsync("Crash", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(30));
        var unknown = batcher.UnaryAsync("NoSuchMethod", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(30));
        var nested = batcher.UnaryAsync(GrpcBatching.MethodName, new BatchRequest(), BatchResponse.Parser, TimeSpan.FromSeconds(30));
        _gate.TrySetResult();
        await held;

        Assert.Equal("fine", (await ok).Context);
        var e = await Assert.ThrowsAsync<RpcException>(() => invalid);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("bad key ü", e.Detail);
        e = await Assert.ThrowsAsync<RpcException>(() => crash);
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("boom", e.Detail, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<RpcException>(() => unknown);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        e = await Assert.ThrowsAsync<RpcException>(() => nested);
        Assert.Equal(StatusCode.Unimplemented, e.StatusCode);
        Assert.Equal(1, batcher.Batches);
        Assert.Equal(5, batcher.BatchedCalls);
    }

    [Fact]
    public async Task A_queued_call_keeps_its_own_deadline_and_is_not_sent_after_it()
    {
        using var connection = new GrpcConnection(await StartServerAsync(batching: true));
        var batcher = connection.Batcher(Service, new GrpcBatchingOptions { MaxRequestsInFlight = 1 });

        var held = batcher.UnaryAsync("Hold", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => Volatile.Read(ref _holdsStarted) == 1);
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<RpcException>(() =>
            batcher.UnaryAsync("Echo", new PutRequest { Key = "late" }, GetResponse.Parser, TimeSpan.FromMilliseconds(200)));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the queued call waited for the held one instead of its own deadline");

        _gate.TrySetResult();
        await held;
        Assert.Equal(0, batcher.Batches);
    }

    [Fact]
    public async Task The_handler_of_a_batched_call_sees_that_calls_deadline()
    {
        using var connection = new GrpcConnection(await StartServerAsync(batching: true));
        var batcher = connection.Batcher(Service, new GrpcBatchingOptions { MaxRequestsInFlight = 1 });

        var held = batcher.UnaryAsync("Hold", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => Volatile.Read(ref _holdsStarted) == 1);
        var before = DateTime.UtcNow;
        var echo = batcher.UnaryAsync("Echo", new PutRequest { Key = "d" }, GetResponse.Parser, TimeSpan.FromSeconds(20));
        _gate.TrySetResult();
        await held;
        await echo;

        Assert.Equal(1, batcher.Batches);
        var deadline = Assert.NotNull(_lastDeadlineSeen);
        Assert.InRange(deadline, before, before.AddSeconds(21));
    }

    [Fact]
    public async Task A_cancelled_queued_call_throws_and_the_others_still_go()
    {
        using var connection = new GrpcConnection(await StartServerAsync(batching: true));
        var batcher = connection.Batcher(Service, new GrpcBatchingOptions { MaxRequestsInFlight = 1 });

        var held = batcher.UnaryAsync("Hold", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => Volatile.Read(ref _holdsStarted) == 1);
        using var cancel = new CancellationTokenSource();
        var cancelled = batcher.UnaryAsync("Echo", new PutRequest { Key = "gone" }, GetResponse.Parser, TimeSpan.FromSeconds(30), cancel.Token);
        var kept = batcher.UnaryAsync("Echo", new PutRequest { Key = "kept" }, GetResponse.Parser, TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        _gate.TrySetResult();
        await held;
        Assert.Equal("kept", (await kept).Context);
        Assert.Equal(1, batcher.BatchedCalls);
    }

    [Fact]
    public async Task A_server_without_the_batch_method_gets_plain_calls()
    {
        using var connection = new GrpcConnection(await StartServerAsync(batching: false));
        var batcher = connection.Batcher(Service, new GrpcBatchingOptions { MaxRequestsInFlight = 1 });

        var held = batcher.UnaryAsync("Hold", new PutRequest(), GetResponse.Parser, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(() => Volatile.Read(ref _holdsStarted) == 1);
        var queued = Enumerable.Range(0, 5)
            .Select(i => batcher.UnaryAsync("Echo", new PutRequest { Key = $"p{i}" }, GetResponse.Parser, TimeSpan.FromSeconds(30)))
            .ToArray();
        _gate.TrySetResult();
        await held;
        var answers = await Task.WhenAll(queued);
        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], answers.Select(a => a.Context));

        // Remembered: later calls go plain without trying the batch method again.
        var after = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => batcher.UnaryAsync("Echo", new PutRequest { Key = $"q{i}" }, GetResponse.Parser, TimeSpan.FromSeconds(30))));
        Assert.Equal(8, after.Length);
        Assert.Equal(1, batcher.Batches);
    }

    [Fact]
    public void Options_out_of_range_are_refused_naming_the_field()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GrpcBatchingOptions { MaxRequestsInFlight = 0 }.Validate());
        Assert.Equal(nameof(GrpcBatchingOptions.MaxRequestsInFlight), e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new GrpcBatchingOptions { MaxCallsPerBatch = 0 }.Validate());
        Assert.Equal(nameof(GrpcBatchingOptions.MaxCallsPerBatch), e.ParamName);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new GrpcBatchingOptions { MaxBatchBytes = -1 }.Validate());
        Assert.Equal(nameof(GrpcBatchingOptions.MaxBatchBytes), e.ParamName);
    }

    private async Task<Uri> StartServerAsync(bool batching)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.ListenGrpc(IPAddress.Loopback, 0));
        if (batching) builder.Services.AddSingleton<GrpcMethodRegistry>();
        var app = builder.Build();
        app.MapGrpcUnary<PutRequest, GetResponse>(Service, "Hold", async (request, _) =>
        {
            Interlocked.Increment(ref _holdsStarted);
            await _gate.Task;
            return new GetResponse { Context = request.Key };
        });
        app.MapGrpcUnary<PutRequest, GetResponse>(Service, "Echo", (request, call) =>
        {
            _lastDeadlineSeen = call.Deadline;
            return Task.FromResult(new GetResponse { Context = request.Key, Siblings = { new Sibling { Value = request.Value } } });
        });
        app.MapGrpcUnary<PutRequest, GetResponse>(Service, "Fail", (request, _) => throw new RpcException((StatusCode)request.W, request.Context));
        app.MapGrpcUnary<PutRequest, GetResponse>(Service, "Crash", (_, _) => throw new InvalidOperationException("boom"));
        if (batching) app.MapGrpcBatch(Service);
        app.MapGrpcUnimplemented();
        await app.StartAsync();
        _apps.Add(app);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached in 20 s");
            await Task.Delay(10);
        }
    }
}
