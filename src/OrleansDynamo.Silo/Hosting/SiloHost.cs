using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Protocol;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Silo.Transport.Grpc;
using OrleansDynamo.Storage;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>Thrown when the silo's settings are invalid; the message names every bad field.</summary>
public sealed class SiloConfigurationException(string message) : Exception(message);

/// <summary>
/// Builds a silo process: configuration (a --config JSON file, then environment variables
/// OD_Silo__X and the command line --Silo:X=...), the store, the gRPC transport, and Kestrel with
/// two endpoints: gRPC (HTTP/2 only, for prior-knowledge h2c) and HTTP (dashboard, JSON, /metrics).
/// </summary>
public static class SiloHost
{
    /// <summary>Reads the "Silo" section from the standard sources plus an optional --config file.</summary>
    public static SiloOptions LoadOptions(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var configuration = BuildConfiguration(args, overrides);
        var options = new SiloOptions();
        configuration.GetSection(SiloOptions.Section).Bind(options);
        return options;
    }

    public static IConfiguration BuildConfiguration(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = new ConfigurationBuilder();
        string? configFile = ConfigFileArgument(args);
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new SiloConfigurationException($"--config: file '{configFile}' does not exist");
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        builder.AddEnvironmentVariables("OD_");
        builder.AddCommandLine(args.Where((a, i) => a != "--config" && (i == 0 || args[i - 1] != "--config")).ToArray());
        if (overrides is not null) builder.AddInMemoryCollection(overrides);
        return builder.Build();
    }

    private static string? ConfigFileArgument(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
                return i + 1 < args.Length ? args[i + 1] : throw new SiloConfigurationException("--config needs a file path");
            if (args[i].StartsWith("--config=", StringComparison.Ordinal)) return args[i]["--config=".Length..];
        }
        return null;
    }

    /// <summary>
    /// Builds the web application of a silo. <paramref name="runtimeFactory"/> lets tests supply the
    /// store or transport; by default the store comes from the options and the transport is gRPC.
    /// </summary>
    public static WebApplication Build(SiloOptions options, Action<ILoggingBuilder>? logging = null, Func<SiloOptions, ILoggerFactory, SiloRuntime>? runtimeFactory = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0) throw new SiloConfigurationException("invalid silo settings: " + string.Join("; ", errors));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k =>
        {
            var ip = IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host);
            k.Listen(ip, options.GrpcPort, l => l.Protocols = HttpProtocols.Http2);
            if (options.HttpPort > 0) k.Listen(ip, options.HttpPort, l => l.Protocols = HttpProtocols.Http1);
            k.Limits.Http2.MaxStreamsPerConnection = 1024;
        });
        builder.Services.AddRouting();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<GrpcMethodRegistry>();
        builder.Services.AddClientApi();
        builder.Services.AddSingleton(sp => runtimeFactory?.Invoke(options, sp.GetRequiredService<ILoggerFactory>()) ?? CreateRuntime(options, sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService<SiloLifetime>();

        var app = builder.Build();
        var silo = app.Services.GetRequiredService<SiloRuntime>();
        var grpcPort = options.GrpcPort;
        foreach (var method in silo.WireMethods.All) method.Map(app, silo.Dispatcher);
        app.MapClientApi();
        foreach (var map in silo.EndpointMappers) map(app);
        app.MapGrpcBatch(SiloWireMethods.Service);
        return app;
    }

    /// <summary>The production runtime: the configured store and the gRPC transport.</summary>
    public static SiloRuntime CreateRuntime(SiloOptions options, ILoggerFactory loggers)
    {
        var store = OpenStore(options);
        var methods = SiloWireMethods.CreateDefault();
        SiloRuntime? runtime = null;
        var transport = new GrpcSiloTransport(methods, name => runtime?.Membership.State.Member(name)?.Info.Address);
        runtime = new SiloRuntime(options, store, transport, TimeProvider.System, new Random(), loggers, methods);
        return runtime;
    }

    public static IPartitionStore OpenStore(SiloOptions options) =>
        PartitionStoreFactory.Open(new StorageOptions
        {
            Engine = options.StorageEngine,
            DataDirectory = options.DataDirectory,
            Durability = options.Durability,
            MaxValueBytes = 64 * 1024 * 1024,
        });

    /// <summary>Starts and stops the runtime with the host.</summary>
    private sealed class SiloLifetime(SiloRuntime silo) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => silo.StartAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => silo.StopAsync();
    }
}
