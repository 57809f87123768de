using OrleansDynamo.Client;
using OrleansDynamo.Silo.Transport.Grpc;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 9: under load, client calls and replica messages travel in batch requests (one HTTP/2 request per silo pair
/// carrying many calls), and every operation still gets its own correct answer.
/// </summary>
public sealed class RequestBatchingTests
{
    [Fact]
    public async Task Concurrent_puts_and_gets_travel_in_batches_and_every_value_reads_back()
    {
        await using var cluster = await TestCluster.StartAsync();
        // One request in flight per silo: every call made while one is out waits and joins the next batch.
        var client = await cluster.CreateClientAsync(o => o.MaxRequestsInFlightPerSilo = 1);
        const int Keys = 300;

        var puts = await Task.WhenAll(Enumerable.Range(0, Keys).Select(i => client.PutAsync("default", $"batch-{i}", $"value-{i}")));
        Assert.Equal(Keys, puts.Length);
        var gets = await Task.WhenAll(Enumerable.Range(0, Keys).Select(i => client.GetAsync("default", $"batch-{i}")));
        for (var i = 0; i < Keys; i++)
        {
            Assert.True(gets[i].Found, $"batch-{i}");
            Assert.Equal($"value-{i}", Assert.Single(gets[i].Siblings).ValueAsString);
        }

        var fromClient = client.Batching;
        Assert.True(fromClient.Calls >= 2 * Keys, $"client: {fromClient}");
        Assert.True(fromClient.BatchedCalls > Keys, $"client: {fromClient}");
        Assert.True(fromClient.Batches < fromClient.BatchedCalls, $"client: {fromClient}");

        var betweenSilos = cluster.Silos
            .Select(s => ((GrpcSiloTransport)((CuttableTransport)s.Runtime.Transport).Inner).Counts)
            .Aggregate((a, b) => a + b);
        Assert.True(betweenSilos.BatchedCalls > 0, $"silos: {betweenSilos}");
        Assert.True(betweenSilos.Batches < betweenSilos.BatchedCalls, $"silos: {betweenSilos}");
    }

    [Fact]
    public async Task A_client_with_batching_off_sends_every_call_alone()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync(o => o.MaxRequestsInFlightPerSilo = 0);
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.PutAsync("default", $"alone-{i}", "v")));
        var stats = client.Batching;
        Assert.True(stats.Calls >= 100, $"client: {stats}");
        Assert.Equal(0, stats.Batches);
    }

    [Fact]
    public void A_negative_in_flight_limit_is_refused_naming_the_field()
    {
        var options = new DynamoClientOptions { Seeds = ["http://127.0.0.1:1"], MaxRequestsInFlightPerSilo = -1 };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(nameof(DynamoClientOptions.MaxRequestsInFlightPerSilo), e.Message, StringComparison.Ordinal);
    }
}
