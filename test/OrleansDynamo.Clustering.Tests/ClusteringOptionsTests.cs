using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using OrleansDynamo.Silo.Clustering;
using OrleansDynamo.Silo.Hosting;
using Xunit;

namespace OrleansDynamo.Clustering.Tests;

public sealed class ClusteringOptionsTests
{
    private static readonly ClusterIdentity Cluster = new("cluster", "service");
    private static readonly SiloEndpoints Endpoints = new(11111, 30000);

    [Fact]
    public void Defaults_are_valid_localhost_with_fast_detection()
    {
        var options = new ClusteringOptions();
        Assert.Empty(options.Validate());
        Assert.Equal(ClusteringModes.Localhost, options.Mode);
        Assert.Equal(1_000, options.ProbeTimeoutMs);
        Assert.Equal(2, options.NumMissedProbesLimit);
        Assert.Equal(2, options.NumVotesForDeathDeclaration);
    }

    [Theory]
    [InlineData("sqlite", "Silo:Clustering:SqlitePath is required")]
    [InlineData("redis", "Silo:Clustering:RedisConnectionString is required")]
    [InlineData("zookeeper", "Silo:Clustering:Mode must be one of 'localhost', 'sqlite', 'redis', got 'zookeeper'")]
    public void A_mode_without_its_setting_names_the_field(string mode, string expected)
    {
        var errors = new ClusteringOptions { Mode = mode }.Validate();
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_redis_connection_string_without_an_endpoint_is_refused()
    {
        var errors = new ClusteringOptions { Mode = ClusteringModes.Redis, RedisConnectionString = "abortConnect=false" }.Validate();
        Assert.Contains(errors, e => e.StartsWith("Silo:Clustering:RedisConnectionString is not a StackExchange.Redis configuration string", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_bad_number_is_named()
    {
        var options = new ClusteringOptions
        {
            SqliteBusyTimeoutMs = 0,
            ProbeTimeoutMs = 0,
            NumMissedProbesLimit = 0,
            NumProbedSilos = 0,
            NumVotesForDeathDeclaration = 0,
            DeathVoteExpirationTimeoutMs = -1,
            IAmAliveTablePublishTimeoutMs = 0,
            NumMissedTableIAmAliveLimit = 0,
            TableRefreshTimeoutMs = 0,
            GatewayListRefreshPeriodMs = 0,
        };
        var errors = options.Validate();
        foreach (var field in new[] { "SqliteBusyTimeoutMs", "ProbeTimeoutMs", "NumMissedProbesLimit", "NumProbedSilos", "NumVotesForDeathDeclaration",
                     "DeathVoteExpirationTimeoutMs", "IAmAliveTablePublishTimeoutMs", "NumMissedTableIAmAliveLimit", "TableRefreshTimeoutMs", "GatewayListRefreshPeriodMs" })
            Assert.Contains(errors, e => e.StartsWith($"Silo:Clustering:{field} must be between", StringComparison.Ordinal));
    }

    [Fact]
    public void More_votes_than_probed_silos_is_refused_as_Orleans_would()
    {
        var errors = new ClusteringOptions { NumProbedSilos = 2, NumVotesForDeathDeclaration = 3 }.Validate();
        Assert.Contains(errors, e => e.StartsWith("Silo:Clustering:NumVotesForDeathDeclaration (3) must not exceed Silo:Clustering:NumProbedSilos (2)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_timings_map_onto_Orleans_options()
    {
        var options = new ClusteringOptions
        {
            ProbeTimeoutMs = 1_500,
            NumMissedProbesLimit = 4,
            NumProbedSilos = 5,
            NumVotesForDeathDeclaration = 3,
            DeathVoteExpirationTimeoutMs = 45_000,
            IAmAliveTablePublishTimeoutMs = 2_500,
            NumMissedTableIAmAliveLimit = 6,
            TableRefreshTimeoutMs = 3_500,
            GatewayListRefreshPeriodMs = 4_500,
        };
        var membership = new ClusterMembershipOptions();
        options.ApplyTo(membership);
        Assert.Equal(TimeSpan.FromMilliseconds(1_500), membership.ProbeTimeout);
        Assert.Equal(4, membership.NumMissedProbesLimit);
        Assert.Equal(5, membership.NumProbedSilos);
        Assert.Equal(3, membership.NumVotesForDeathDeclaration);
        Assert.Equal(TimeSpan.FromSeconds(45), membership.DeathVoteExpirationTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2_500), membership.IAmAliveTablePublishTimeout);
        Assert.Equal(6, membership.NumMissedTableIAmAliveLimit);
        Assert.Equal(TimeSpan.FromMilliseconds(3_500), membership.TableRefreshTimeout);
        var gateway = new GatewayOptions();
        options.ApplyTo(gateway);
        Assert.Equal(TimeSpan.FromMilliseconds(4_500), gateway.GatewayListRefreshPeriod);
    }

    [Fact]
    public void UseDynamoClustering_refuses_bad_settings_with_every_field_named()
    {
        var builder = new ServicesOnlySiloBuilder(new ServiceCollection());
        var error = Assert.Throws<SiloConfigurationException>(() =>
            builder.UseDynamoClustering(new ClusteringOptions { Mode = ClusteringModes.Sqlite }, new ClusterIdentity("", "service"), new SiloEndpoints(0, 30000)));
        Assert.Contains("Silo:Clustering:SqlitePath", error.Message);
        Assert.Contains("ClusterIdentity:ClusterId", error.Message);
        Assert.Contains("SiloEndpoints:SiloPort", error.Message);
    }

    [Fact]
    public void Sqlite_mode_registers_the_sqlite_tables_and_reminders()
    {
        var services = new ServiceCollection();
        new ServicesOnlySiloBuilder(services).UseDynamoClustering(
            new ClusteringOptions { Mode = ClusteringModes.Sqlite, SqlitePath = "/tmp/unused-clustering.db" }, Cluster, Endpoints);
        using var provider = services.BuildServiceProvider();
        Assert.IsType<SqliteMembershipTable>(provider.GetRequiredService<Orleans.IMembershipTable>());
        Assert.IsType<SqliteReminderTable>(provider.GetRequiredService<Orleans.IReminderTable>());
        Assert.Equal("cluster", provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>().Value.ClusterId);
        Assert.Equal(11111, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<EndpointOptions>>().Value.SiloPort);
    }
}
