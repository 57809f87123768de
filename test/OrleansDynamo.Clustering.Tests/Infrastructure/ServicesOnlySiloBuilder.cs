using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>
/// An <see cref="ISiloBuilder"/> over a bare service collection: lets a test run a provider's silo
/// registration (e.g. Orleans' <c>UseRedisClustering</c>, whose table type is internal) and resolve
/// the table without starting a silo.
/// </summary>
internal sealed class ServicesOnlySiloBuilder(IServiceCollection services) : ISiloBuilder
{
    public IServiceCollection Services { get; } = services;

    public IConfiguration Configuration { get; } = new ConfigurationBuilder().Build();
}
