using OrleansDynamo.Client;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Status, ring, join, leave and repair addressed to one silo go over that silo's gRPC client API: the CLI sends one
/// such call per process, and an Orleans client's start costs far more than the call (docs/performance.md). Data calls
/// keep going through an Orleans connection to the coordinating silo's gateway. The clients here are set up as the
/// CLI's is (no periodic ring refresh, which would open a connection of its own).
/// </summary>
public sealed class AddressedCallTests
{
    private const int Partitions = 64;

    private static DynamoClient CliLikeClient(string seed) => new(new DynamoClientOptions
    {
        Seeds = { seed },
        RequestTimeout = TimeSpan.FromSeconds(20),
        RingRefreshInterval = Timeout.InfiniteTimeSpan,
    });

    [Fact]
    public async Task Status_ring_join_leave_and_repair_addressed_to_a_silo_open_no_Orleans_connection_while_a_put_opens_one()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2, PartitionCount = Partitions });
        string seed = cluster[0].GrpcAddress, silo = cluster[1].GrpcAddress;
        await using var client = CliLikeClient(silo);

        var status = await client.GetStatusAsync(silo);
        Assert.Equal(cluster[1].Name, status.Silo);
        Assert.Equal(2, status.Silos.Count);
        Assert.Equal(2, (await client.GetRingAsync(silo)).Silos.Count);
        Assert.Contains("member already", await client.JoinAsync(seed, silo));
        Assert.Contains("exchange(s) finished", await client.RepairAsync(3, silo));
        var refused = await Assert.ThrowsAsync<DynamoException>(() => client.RepairAsync(Partitions, silo));
        Assert.Equal(DynamoErrorKind.InvalidArgument, refused.Kind);
        Assert.Contains("partition must be", refused.Message);
        var unknown = await Assert.ThrowsAsync<DynamoException>(() => client.LeaveAsync("no-such-silo", silo));
        Assert.Equal(DynamoErrorKind.NotFound, unknown.Kind);
        Assert.Contains("no silo named 'no-such-silo'", unknown.Message);
        Assert.Empty(client.ConnectedSilos);

        await client.PutAsync("addressed", "v1");
        Assert.NotEmpty(client.ConnectedSilos);
    }

    [Fact]
    public async Task A_call_addressed_to_a_silo_that_does_not_listen_fails_as_unavailable_naming_the_address()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 1 });
        string nobody = $"http://127.0.0.1:{FreePort()}";
        await using var client = CliLikeClient(cluster[0].GrpcAddress);

        var e = await Assert.ThrowsAsync<DynamoException>(() => client.GetStatusAsync(nobody));
        Assert.Equal(DynamoErrorKind.Unavailable, e.Kind);
        Assert.Equal(nobody, e.Endpoint);
        Assert.Equal(cluster[0].Name, (await client.GetStatusAsync(cluster[0].GrpcAddress)).Silo);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
