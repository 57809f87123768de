using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using OrleansDynamo.Silo.Hosting;
using StackExchange.Redis;

namespace OrleansDynamo.Silo.Clustering;

/// <summary>
/// Wires a clustering mode (<see cref="ClusteringOptions.Mode"/>) into an Orleans silo or client:
/// the membership table, the reminder table (silos), the gateway list (clients), the cluster ids,
/// the silo's endpoints and the failure-detection timings.
/// </summary>
public static class ClusteringExtensions
{
    /// <summary>
    /// <list type="bullet">
    /// <item><c>localhost</c>: Orleans' <c>UseLocalhostClustering</c> (the table in memory on the primary
    /// silo, <see cref="SiloEndpoints.PrimarySiloEndpoint"/> or this one) and <c>UseInMemoryReminderService</c>.</item>
    /// <item><c>sqlite</c>: <see cref="SqliteMembershipTable"/> and <see cref="SqliteReminderTable"/> on
    /// <see cref="ClusteringOptions.SqlitePath"/>, reminders enabled with <c>AddReminders</c>.</item>
    /// <item><c>redis</c>: <c>UseRedisClustering</c> and <c>UseRedisReminderService</c> on
    /// <see cref="ClusteringOptions.RedisConnectionString"/>.</item>
    /// </list>
    /// </summary>
    /// <exception cref="SiloConfigurationException">A setting is invalid; the message names each field.</exception>
    public static ISiloBuilder UseDynamoClustering(this ISiloBuilder builder, ClusteringOptions options, ClusterIdentity cluster, SiloEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(endpoints);
        ThrowIfInvalid(options.Validate().Concat(cluster.Validate()).Concat(endpoints.Validate()));

        builder.Services.Configure<ClusterMembershipOptions>(options.ApplyTo);
        switch (options.Mode)
        {
            case ClusteringModes.Localhost:
                builder.UseLocalhostClustering(endpoints.SiloPort, endpoints.GatewayPort, endpoints.PrimarySiloEndpoint, cluster.ServiceId, cluster.ClusterId);
                builder.UseInMemoryReminderService();
                break;
            case ClusteringModes.Sqlite:
                ConfigureSilo(builder, cluster, endpoints);
                AddSqliteDatabase(builder.Services, options);
                builder.Services.AddSingleton<IMembershipTable>(sp => sp.GetRequiredService<SqliteMembershipTable>());
                builder.AddReminders();
                builder.Services.AddSingleton<IReminderTable>(sp => new SqliteReminderTable(
                    sp.GetRequiredService<SqliteClusteringDatabase>(), sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
                break;
            case ClusteringModes.Redis:
                ConfigureSilo(builder, cluster, endpoints);
                var redis = options.RedisConnectionString!;
                builder.UseRedisClustering(redisOptions => redisOptions.ConfigurationOptions = ConfigurationOptions.Parse(redis));
                builder.UseRedisReminderService(reminderOptions => reminderOptions.ConfigurationOptions = ConfigurationOptions.Parse(redis));
                break;
        }
        return builder;
    }

    /// <summary>
    /// The client counterpart: the gateway list comes from the same table the silos write
    /// (<c>localhost</c>: the fixed <paramref name="localhostGatewayPorts"/> on 127.0.0.1, default
    /// Orleans' 30000; <c>sqlite</c>: <see cref="SqliteGatewayListProvider"/>; <c>redis</c>: <c>UseRedisClustering</c>).
    /// </summary>
    /// <exception cref="SiloConfigurationException">A setting is invalid; the message names each field.</exception>
    public static IClientBuilder UseDynamoClustering(this IClientBuilder builder, ClusteringOptions options, ClusterIdentity cluster, IReadOnlyList<int>? localhostGatewayPorts = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cluster);
        ThrowIfInvalid(options.Validate().Concat(cluster.Validate()));

        builder.Services.Configure<GatewayOptions>(options.ApplyTo);
        switch (options.Mode)
        {
            case ClusteringModes.Localhost:
                int[] ports = localhostGatewayPorts is { Count: > 0 } ? [.. localhostGatewayPorts] : [EndpointOptions.DEFAULT_GATEWAY_PORT];
                builder.UseLocalhostClustering(ports, cluster.ServiceId, cluster.ClusterId);
                break;
            case ClusteringModes.Sqlite:
                builder.Services.Configure<ClusterOptions>(cluster.ApplyTo);
                AddSqliteDatabase(builder.Services, options);
                var refresh = TimeSpan.FromMilliseconds(options.GatewayListRefreshPeriodMs);
                builder.Services.AddSingleton<IGatewayListProvider>(sp => new SqliteGatewayListProvider(sp.GetRequiredService<SqliteMembershipTable>(), refresh));
                break;
            case ClusteringModes.Redis:
                builder.Services.Configure<ClusterOptions>(cluster.ApplyTo);
                var redis = options.RedisConnectionString!;
                builder.UseRedisClustering(redisOptions => redisOptions.ConfigurationOptions = ConfigurationOptions.Parse(redis));
                break;
        }
        return builder;
    }

    private static void ConfigureSilo(ISiloBuilder builder, ClusterIdentity cluster, SiloEndpoints endpoints)
    {
        builder.Services.Configure<ClusterOptions>(cluster.ApplyTo);
        builder.Services.Configure<EndpointOptions>(endpointOptions =>
        {
            endpointOptions.AdvertisedIPAddress = endpoints.AdvertisedAddress;
            endpointOptions.SiloPort = endpoints.SiloPort;
            endpointOptions.GatewayPort = endpoints.GatewayPort;
        });
    }

    private static void AddSqliteDatabase(IServiceCollection services, ClusteringOptions options)
    {
        var path = options.SqlitePath!;
        var busyTimeout = TimeSpan.FromMilliseconds(options.SqliteBusyTimeoutMs);
        services.AddSingleton(_ => new SqliteClusteringDatabase(path, busyTimeout));
        services.AddSingleton(sp => new SqliteMembershipTable(
            sp.GetRequiredService<SqliteClusteringDatabase>(), sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId));
    }

    private static void ThrowIfInvalid(IEnumerable<string> errors)
    {
        var all = errors.ToList();
        if (all.Count > 0) throw new SiloConfigurationException("invalid clustering settings: " + string.Join("; ", all));
    }
}
