using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Silo.Limits;

namespace OrleansDynamo.Silo.Api;

/// <summary>Registers and maps the client API service (Grpc.AspNetCore) on a silo's web application.</summary>
public static class ClientApiHosting
{
    /// <summary>
    /// Adds gRPC (<c>AddGrpc</c>), the <see cref="SiloApi"/> of the silo's <see cref="SiloRuntime"/>, its wire mapping
    /// (<see cref="WireApi"/>, also behind the SDK's grain) and its <see cref="Security.ApiAuthorizer"/>, the <see cref="DynamoGrpcService"/> (one instance for every
    /// call) and its error mapping. Grpc.AspNetCore's own
    /// logs are kept to warnings: a refused request is the caller's answer, not a silo event.
    /// A request may be at most <see cref="LimitsOptions.MaxRequestBytes"/> (the largest value plus 68 KiB), compressed or
    /// not; an answer at most <see cref="LimitsOptions.EffectiveMaxMessageBytes"/>, as on the Orleans gateway.
    /// </summary>
    public static IServiceCollection AddClientApi(this IServiceCollection services, LimitsOptions limits)
    {
        services.AddGrpc(o =>
            {
                o.MaxReceiveMessageSize = limits.MaxRequestBytes;
                o.MaxSendMessageSize = limits.EffectiveMaxMessageBytes;
                o.CompressionProviders = [new BoundedGzipCompressionProvider(limits.MaxRequestBytes, LimitsOptions.Section + ":MaxValueBytes plus 68 KiB")];
            })
            .AddServiceOptions<DynamoGrpcService>(o => o.Interceptors.Add<ClientApiErrorInterceptor>());
        services.Configure<LoggerFilterOptions>(o => o.AddFilter("Grpc", LogLevel.Warning));
        services.AddSingleton<ClientApiErrorInterceptor>();
        services.AddSingleton(sp => new SiloApi(sp.GetRequiredService<SiloRuntime>()));
        services.AddSingleton(sp => new Security.ApiAuthorizer(sp.GetRequiredService<SiloRuntime>().Options.Auth, sp.GetRequiredService<ILogger<Security.ApiAuthorizer>>()));
        services.AddSingleton<WireApi>();
        services.AddSingleton<Grains.DynamoApiCalls>();
        services.AddSingleton<DynamoGrpcService>();
        return services;
    }

    /// <summary>
    /// Maps <c>orleansdynamo.v1.Dynamo</c>. Grpc.AspNetCore also answers calls of unknown services and methods
    /// with UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapClientApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGrpcService<DynamoGrpcService>();
}
