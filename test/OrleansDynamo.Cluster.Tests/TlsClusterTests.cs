using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;
using OrleansDynamo.Client;
using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Hosting;
using SiloOptions = OrleansDynamo.Silo.Hosting.SiloOptions;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 15: mutual TLS. A cluster's silos trust only certificates its authority issued: a client without one, or
/// with another authority's, gets nothing; a silo with another authority's certificate, or none, cannot join.
/// </summary>
public sealed class TlsClusterTests : IDisposable
{
    private static readonly TimeSpan Validity = TimeSpan.FromDays(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("od-tls-").FullName;
    private readonly X509Certificate2 _authority = ClusterCertificates.CreateAuthority("dev", Validity);
    private readonly X509Certificate2 _otherAuthority = ClusterCertificates.CreateAuthority("other", Validity);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Writes a silo certificate of <paramref name="authority"/> and returns the TLS settings naming it.</summary>
    private Silo.Security.TlsOptions SiloTls(string name, X509Certificate2 authority)
    {
        string cert = Path.Combine(_dir, $"{name}-{authority.Thumbprint[..8]}.pem"), key = Path.ChangeExtension(cert, ".key");
        string ca = Path.Combine(_dir, $"ca-{authority.Thumbprint[..8]}.pem");
        ClusterCertificates.WritePem(ClusterCertificates.Issue(authority, name, CertificateRole.Silo, ["127.0.0.1", "localhost"], Validity), cert, key);
        ClusterCertificates.WritePem(authority, ca, null);
        return new Silo.Security.TlsOptions { CertificateFile = cert, KeyFile = key, AuthorityFile = ca };
    }

    private X509Certificate2 ClientCertificate(X509Certificate2 authority) =>
        ClusterCertificates.Issue(authority, "app", CertificateRole.Client, [], Validity);

    private Task<TestCluster> StartTlsClusterAsync(int silos) =>
        TestCluster.StartAsync(new TestClusterOptions { Silos = silos, Configure = (i, o) => o.Tls = SiloTls($"silo{i}", _authority) });

    [Fact]
    public async Task A_client_with_the_clusters_certificate_is_served_and_one_without_or_with_another_authoritys_gets_nothing()
    {
        await using var cluster = await StartTlsClusterAsync(3);
        Assert.StartsWith("https://", cluster[0].GrpcAddress);

        await using (var client = await cluster.CreateClientAsync(o => (o.ClientCertificate, o.Authority) = (ClientCertificate(_authority), _authority)))
        {
            await client.PutAsync("tls", "secret");
            Assert.Equal("secret", Assert.Single((await client.GetAsync("tls")).Siblings).ValueAsString);
        }

        // A client that trusts the cluster but presents another authority's certificate is refused by every silo.
        var stranger = await Assert.ThrowsAsync<DynamoException>(() =>
            cluster.CreateClientAsync(o => (o.ClientCertificate, o.Authority) = (ClientCertificate(_otherAuthority), _authority)));
        Assert.Equal(DynamoErrorKind.Unavailable, stranger.Kind);

        // A gRPC caller without a certificate (that would accept any server) is refused at the handshake.
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using (var channel = Grpc.Net.Client.GrpcChannel.ForAddress(cluster[0].GrpcAddress, new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler }))
        {
            await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
                await new Protocol.Grpc.Dynamo.DynamoClient(channel).GetRingAsync(new Protocol.Grpc.GetRingRequest(), deadline: DateTime.UtcNow.AddSeconds(10)));
        }

        // Straight to a gateway with a plaintext Orleans client: the connection is refused before any grain call.
        var plaintext = new HostBuilder()
            .UseOrleansClient(c =>
            {
                c.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, cluster[1].Options.GatewayPort));
                c.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster[1].Options.ClusterName, DynamoCluster.ServiceId));
            })
            .Build();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await plaintext.StartAsync(deadline.Token);
                await plaintext.Services.GetRequiredService<IClusterClient>().GetGrain<IDynamoApiGrain>(IDynamoApiGrain.Key)
                    .GetRing(new Protocol.Grpc.GetRingRequest(), deadline.Token);
            });

            await using var owner = await cluster.CreateClientAsync(o => (o.ClientCertificate, o.Authority) = (ClientCertificate(_authority), _authority));
            Assert.Equal("secret", Assert.Single((await owner.GetAsync("tls")).Siblings).ValueAsString);
        }
        finally
        {
            await plaintext.CloseAsync();
        }
    }

    [Fact]
    public async Task A_silo_with_another_authoritys_certificate_or_none_cannot_join_a_TLS_cluster()
    {
        await using var cluster = await StartTlsClusterAsync(2);
        var template = cluster[1].Options;
        foreach (var (name, tls) in new[] { ("rogue", SiloTls("rogue", _otherAuthority)), ("plain", new Silo.Security.TlsOptions()) })
        {
            var ports = TestCluster.FreePorts(4);
            var options = new SiloOptions
            {
                ClusterName = template.ClusterName, SiloName = name, DataDirectory = Path.Combine(_dir, name), Host = "127.0.0.1",
                GrpcPort = ports[0], HttpPort = 0, SiloPort = ports[2], GatewayPort = ports[3], PartitionCount = template.PartitionCount,
                Clustering = template.Clustering, Tls = tls, Durability = template.Durability,
            };
            var app = cluster.BuildStranger(options);
            // A silo of this cluster joins in 1-2 s here; 8 s without joining is a refusal, not slowness.
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(8));
            // Its join cannot complete: every connection to the cluster's silos fails the TLS handshake.
            await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync(deadline.Token));
            await app.CloseFailedSiloAsync();

            foreach (var silo in cluster.Running)
            {
                var members = silo.App!.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values;
                Assert.DoesNotContain(members, m => m.Name == name && m.Status == SiloStatus.Active);
                Assert.Null(silo.Runtime.Membership.State.Member(name));
            }
        }
        // Nothing of the refused silos is left running: a silo whose start failed and was not stopped stage by stage
        // leaves its grain directory's membership loop spinning (millions of thread-pool items a second; a cluster
        // at rest here runs about a thousand, and the busiest test of this suite under 30,000).
        long before = ThreadPool.CompletedWorkItemCount;
        await Task.Delay(TimeSpan.FromSeconds(2));
        double perSecond = (ThreadPool.CompletedWorkItemCount - before) / 2.0;
        Assert.True(perSecond < 300_000, $"{perSecond:N0} thread-pool items a second after the refused silos were closed");

        await using var client = await cluster.CreateClientAsync(o => (o.ClientCertificate, o.Authority) = (ClientCertificate(_authority), _authority));
        await client.PutAsync("after", "v");
        Assert.Equal("v", Assert.Single((await client.GetAsync("after")).Siblings).ValueAsString);
    }

    [Fact]
    public async Task A_client_certificate_of_the_cluster_opens_the_gateway_but_not_the_silo_port()
    {
        await using var cluster = await StartTlsClusterAsync(1);
        var client = ClientCertificate(_authority);

        // The same handshake on both Orleans listeners. The gateway keeps the connection open (it waits for the
        // client's preamble); the silo port closes it at once, before anything is read: silos only talk to silos.
        await using (var gateway = await OpenTlsAsync(cluster[0].Options.GatewayPort, client))
            Assert.False(await ClosedWithinAsync(gateway, TimeSpan.FromSeconds(2)), "the gateway closed a connection with a client certificate");
        await using (var siloPort = await OpenTlsAsync(cluster[0].Options.SiloPort, client))
            Assert.True(await ClosedWithinAsync(siloPort, TimeSpan.FromSeconds(10)), "the silo port kept a connection with a client certificate open");

        // A silo certificate is still taken there (the silo's own peers connect that way).
        var silo = ClusterCertificates.Issue(_authority, "silo-like", CertificateRole.Silo, ["127.0.0.1"], Validity);
        await using (var peer = await OpenTlsAsync(cluster[0].Options.SiloPort, silo))
            Assert.False(await ClosedWithinAsync(peer, TimeSpan.FromSeconds(2)), "the silo port closed a connection with a silo certificate");
    }

    private static async Task<System.Net.Security.SslStream> OpenTlsAsync(int port, X509Certificate2 certificate)
    {
        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new System.Net.Security.SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "127.0.0.1",
            ClientCertificates = [certificate],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, deadline.Token);
        return ssl;
    }

    /// <summary>True when the peer closed (or reset) the connection within <paramref name="wait"/>; false when it is still open.</summary>
    private static async Task<bool> ClosedWithinAsync(System.Net.Security.SslStream stream, TimeSpan wait)
    {
        using var deadline = new CancellationTokenSource(wait);
        try
        {
            return await stream.ReadAsync(new byte[64], deadline.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public void A_silo_on_a_network_address_without_TLS_refuses_to_start_unless_told_to()
    {
        var options = new SiloOptions { Host = "192.0.2.10", DataDirectory = _dir };
        var error = Assert.Single(options.ValidateForListening(), e => e.Contains("TLS", StringComparison.Ordinal));
        Assert.Contains("Silo:Tls:AllowPlaintextOnNetwork", error);
        Assert.Throws<SiloConfigurationException>(() => { SiloHost.Build(options, logging: _ => { }); });
        options.Tls.AllowPlaintextOnNetwork = true;
        Assert.DoesNotContain(options.ValidateForListening(), e => e.Contains("TLS", StringComparison.Ordinal));
        Assert.Contains(new SiloOptions { Host = "not-an-address" }.ValidateForListening(), e => e.Contains("is not an IP address"));
    }
}
