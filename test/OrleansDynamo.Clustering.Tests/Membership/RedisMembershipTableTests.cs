using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using OrleansDynamo.Clustering.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit;

namespace OrleansDynamo.Clustering.Tests.Membership;

/// <summary>
/// The conformance suite on Orleans' own Redis membership table (Microsoft.Orleans.Clustering.Redis),
/// against a real redis-server: what the <c>redis</c> mode relies on.
/// </summary>
public sealed class RedisMembershipTableTests(RedisServerFixture redis) : MembershipTableConformance, IClassFixture<RedisServerFixture>
{
    private readonly List<ServiceProvider> _providers = [];

    protected override async Task<IMembershipTable> CreateTableInstanceAsync(string clusterId)
    {
        var services = new ServiceCollection();
        services.Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = "conformance"; });
        new ServicesOnlySiloBuilder(services).UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis.Server.ConnectionString));
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        var table = provider.GetRequiredService<IMembershipTable>();
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var provider in _providers) await provider.DisposeAsync();
    }
}
