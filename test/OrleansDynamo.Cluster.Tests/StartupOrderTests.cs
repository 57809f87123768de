using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using OrleansDynamo.Cluster.Tests.EndToEnd;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// A silo records its join only once every port is bound (SiloStartup): one whose gRPC port is taken after the
/// port check, when Orleans has started and the store is open, fails to start and its data directory holds no join.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class StartupOrderTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "od-startup-order-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try { Directory.Delete(_data, true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_silo_that_cannot_bind_its_grpc_port_records_no_join_and_joins_once_it_can()
    {
        var ports = RepoPaths.FreePorts(4);
        var options = new SiloOptions
        {
            ClusterName = "startup-order", SiloName = "s1", DataDirectory = _data, PartitionCount = 16,
            GrpcPort = ports[0], HttpPort = ports[1], SiloPort = ports[2], GatewayPort = ports[3],
            DefaultBucket = new BucketOptions { N = 1, R = 1, W = 1 },
        };
        {
            var app = SiloHost.Build(options, logging: _ => { });
            using var taken = new TcpListener(IPAddress.Loopback, ports[0]);
            taken.Start();
            var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            var failure = StartupFailure.Describe(error);
            Assert.NotNull(failure);
            Assert.Equal(2, failure.ExitCode);
            Assert.Contains($"127.0.0.1:{ports[0]}", failure.Message);
            await app.CloseFailedSiloAsync();
        }
        Assert.True(File.Exists(Path.Combine(_data, "silo.db")), "the store was opened before the bind failed");
        Assert.Null(await StartupFailureTests.StoredMembership(_data));

        // With the port free the same silo starts and records its join (the check above reads the right place).
        await using (var app = SiloHost.Build(options, logging: _ => { }))
        {
            await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await app.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.NotNull(await StartupFailureTests.StoredMembership(_data));
    }
}
