using OrleansDynamo.Silo.Transport.Grpc;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 9: under load, replica messages between silos travel in batch requests (one HTTP/2 request per silo pair
/// carrying many calls), and every operation still gets its own correct answer. (Client calls are plain gRPC calls.)
/// </summary>
public sealed class RequestBatchingTests
{
    [Fact]
    public async Task Concurrent_puts_and_gets_travel_in_batches_and_every_value_reads_back()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync();
        const int Keys = 300;

        var puts = await Task.WhenAll(Enumerable.Range(0, Keys).Select(i => client.PutAsync("default", $"batch-{i}", $"value-{i}")));
        Assert.Equal(Keys, puts.Length);
        var gets = await Task.WhenAll(Enumerable.Range(0, Keys).Select(i => client.GetAsync("default", $"batch-{i}")));
        for (var i = 0; i < Keys; i++)
        {
            Assert.True(gets[i].Found, $"batch-{i}");
            Assert.Equal($"value-{i}", Assert.Single(gets[i].Siblings).ValueAsString);
        }

        var betweenSilos = cluster.Silos
            .Select(s => ((GrpcSiloTransport)((CuttableTransport)s.Runtime.Transport).Inner).Counts)
            .Aggregate((a, b) => a + b);
        Assert.True(betweenSilos.BatchedCalls > 0, $"silos: {betweenSilos}");
        Assert.True(betweenSilos.Batches < betweenSilos.BatchedCalls, $"silos: {betweenSilos}");
    }
}
