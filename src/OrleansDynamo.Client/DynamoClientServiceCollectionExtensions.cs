using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace OrleansDynamo.Client;

/// <summary>Registers a <see cref="DynamoClient"/> with dependency injection.</summary>
public static class DynamoClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DynamoClientOptions"/> and a singleton <see cref="DynamoClient"/> (lazy: it fetches the
    /// ring on first use). When the application has an Orleans client (<c>UseOrleansClient</c>, see
    /// <see cref="AddDynamoClient(IClientBuilder, Action{DynamoClientOptions})"/>), the first ring comes through it and
    /// no seed is needed; else from <see cref="DynamoClientOptions.Seeds"/>. A registered <see cref="TimeProvider"/> is
    /// used, else the system clock.
    /// </summary>
    public static IServiceCollection AddDynamoClient(this IServiceCollection services, Action<DynamoClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DynamoClientOptions>().Configure(configure);
        services.TryAddSingleton(static sp => new DynamoClient(
            sp.GetRequiredService<IOptions<DynamoClientOptions>>().Value,
            sp.GetService<IClusterClient>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }

    /// <summary>
    /// On <c>UseOrleansClient</c>: registers a <see cref="DynamoClient"/> that fetches its first ring through it (the client's clustering finds the gateways:
    /// static, SQLite or Redis, as the silos use). Requests then go to each key's coordinator through a connection to
    /// that silo's gateway.
    /// </summary>
    public static IClientBuilder AddDynamoClient(this IClientBuilder builder, Action<DynamoClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDynamoClient(configure ?? (_ => { }));
        return builder;
    }
}
