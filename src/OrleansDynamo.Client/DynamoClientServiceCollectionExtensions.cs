using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OrleansDynamo.Client;

/// <summary>Registers a <see cref="DynamoClient"/> with dependency injection.</summary>
public static class DynamoClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="DynamoClientOptions"/> and a singleton <see cref="DynamoClient"/> (lazy: it fetches the
    /// ring on first use). A registered <see cref="TimeProvider"/> is used, else the system clock.
    /// </summary>
    public static IServiceCollection AddDynamoClient(this IServiceCollection services, Action<DynamoClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<DynamoClientOptions>().Configure(configure);
        services.TryAddSingleton(static sp => new DynamoClient(
            sp.GetRequiredService<IOptions<DynamoClientOptions>>().Value,
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }
}
