using System.Diagnostics;
using Google.Protobuf;
using OrleansDynamo.Protocol.Grpc;
using Xunit.Abstractions;

namespace OrleansDynamo.Protocol.Tests;

/// <summary>Measures unary calls/s and latency on loopback and prints them; never asserts a speed.</summary>
public sealed class GrpcThroughputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private GrpcTestServer _server = null!;
    private GrpcConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _server = await GrpcTestServer.StartAsync();
        _connection = new GrpcConnection(_server.Address);
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Measure_put_throughput()
    {
        await RunAsync(inFlight: 64, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(10)); // warm up
        foreach (var (inFlight, seconds, timeout) in new (int, int, TimeSpan?)[]
            { (64, 2, TimeSpan.FromSeconds(10)), (64, 2, null), (1, 1, TimeSpan.FromSeconds(10)) })
        {
            var (rate, p50, p99) = await RunAsync(inFlight, TimeSpan.FromSeconds(seconds), timeout);
            output.WriteLine($"{inFlight,2} in flight, {(timeout is null ? "no deadline" : "10 s deadline")}: " +
                $"{rate:F0} calls/s, p50 {p50:F3} ms, p99 {p99:F3} ms");
            Assert.True(rate > 0);
        }
    }

    private async Task<(double CallsPerSecond, double P50Ms, double P99Ms)> RunAsync(int inFlight, TimeSpan duration, TimeSpan? timeout)
    {
        var request = new PutRequest { Bucket = "bench", Key = "key-00000001", Value = ByteString.CopyFrom(new byte[100]) };
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<long>(1 << 16);
            while (Stopwatch.GetTimestamp() < stop)
            {
                var t0 = Stopwatch.GetTimestamp();
                await _connection.UnaryAsync(GrpcTestServer.DynamoService, "Put", request, PutResponse.Parser, timeout);
                latencies.Add(Stopwatch.GetTimestamp() - t0);
            }
            return latencies;
        })).ToArray();
        var all = (await Task.WhenAll(workers)).SelectMany(l => l).Order().ToArray();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        double Percentile(double p) => all[(int)Math.Min(all.Length - 1, p * all.Length)] * 1000.0 / Stopwatch.Frequency;
        return (all.Length / seconds, Percentile(0.50), Percentile(0.99));
    }
}
