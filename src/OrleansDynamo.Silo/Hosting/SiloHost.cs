using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Silo.Transport;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using OrleansDynamo.Silo.Membership;
using OrleansDynamo.Silo.Security;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using OrleansDynamo.Storage;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>Thrown when the silo's settings are invalid; the message names every bad field.</summary>
public sealed class SiloConfigurationException(string message) : Exception(message);

/// <summary>
/// Builds a silo process: configuration (a --config JSON file, then environment variables
/// OD_Silo__X and the command line --Silo:X=...), the Orleans silo, the store, and Kestrel with
/// two endpoints: gRPC (HTTP/2 only, for prior-knowledge h2c) and HTTP (dashboard, JSON, /metrics).
/// </summary>
public static class SiloHost
{
    /// <summary>Reads the "Silo" section from the standard sources plus an optional --config file.</summary>
    public static SiloOptions LoadOptions(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var configuration = BuildConfiguration(args, overrides);
        var options = new SiloOptions();
        try
        {
            configuration.GetSection(SiloOptions.Section).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // "Failed to convert configuration value 'x' at 'Silo:GrpcPort' to type 'System.Int32'."
            throw new SiloConfigurationException("invalid silo settings: " + e.Message);
        }
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
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException e) when (configFile is not null)
        {
            // The JSON reader's own message names the line and the byte in it.
            var json = e.InnerException?.InnerException as System.Text.Json.JsonException;
            throw new SiloConfigurationException($"--config: '{configFile}' is not valid JSON: {json?.Message ?? e.InnerException?.Message ?? e.Message}");
        }
        catch (IOException e) when (configFile is not null)
        {
            throw new SiloConfigurationException($"--config: '{configFile}' cannot be read: {e.Message}");
        }
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
    /// Builds the silo process: an Orleans silo (<c>UseOrleans</c>) in the web application's host, with Kestrel
    /// beside it. <paramref name="hooks"/> lets tests wrap the store or the silo-to-silo transport.
    /// </summary>
    public static WebApplication Build(SiloOptions options, Action<ILoggingBuilder>? logging = null, SiloHostHooks? hooks = null)
    {
        var errors = options.ValidateForListening();
        if (errors.Count > 0) throw new SiloConfigurationException("invalid silo settings: " + string.Join("; ", errors));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }).SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Orleans.", LogLevel.Warning);
        // Orleans' placement runs through a Polly pipeline that logs every attempt at Information.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        // The host logs a failed start with its stack trace; the process reports it in one line instead
        // (StartupFailure). After the start, the host's errors are logged as usual.
        IHostApplicationLifetime? lifetime = null;
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level is >= LogLevel.Information and < LogLevel.Error
            || (level >= LogLevel.Error && lifetime?.ApplicationStarted.IsCancellationRequested == true));
        var ip = IPAddress.Parse(options.Host == "localhost" ? "127.0.0.1" : options.Host);
        var portProblems = PortCheck.Problems(options, ip);
        if (portProblems.Count > 0) throw new SiloConfigurationException("cannot listen: " + string.Join("; ", portProblems));
        ClusterTls? tls;
        try
        {
            tls = options.Tls.Load();
        }
        catch (ArgumentException e)
        {
            throw new SiloConfigurationException("invalid silo settings: " + e.Message);
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(ip, options.GrpcPort, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                if (tls is not null) l.UseHttps(ClusterHttps(tls));
            });
            if (options.HttpPort > 0)
            {
                k.Listen(ip, options.HttpPort, l =>
                {
                    l.Protocols = HttpProtocols.Http1;
                    if (tls is not null) l.UseHttps(ClusterHttps(tls));
                });
            }
            Limits.KestrelLimits.Apply(k.Limits, options.Limits);
        });
        if (tls is not null) builder.Services.AddSingleton(tls);
        builder.Services.AddRouting();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddClientApi(options.Limits);
        builder.Services.AddSiloTelemetry(options);
        builder.Services.AddSingleton(sp => CreateRuntime(options, sp, hooks));
        builder.Services.AddHostedService<SiloStartup>();
        builder.UseOrleans(silo =>
        {
            OrleansSilo.Configure(silo, options, ip, tls);
            hooks?.ConfigureOrleans?.Invoke(silo);
        });

        var app = builder.Build();
        lifetime = app.Lifetime;
        if (tls is null && !Security.TlsOptions.IsLoopback(options.Host))
            app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansDynamo.Silo").LogWarning(
                "TLS is off and the silo listens on {Host}: anyone who can reach its ports can call it ({Setting} is true)", options.Host,
                Security.TlsOptions.Section + ":AllowPlaintextOnNetwork");
        var runtime = app.Services.GetRequiredService<SiloRuntime>();
        app.UseMiddleware<Limits.RequestBoundsMiddleware>(options);
        app.MapClientApi();
        app.MapSiloMetrics();
        foreach (var map in runtime.EndpointMappers) map(app);
        return app;
    }

    /// <summary>
    /// HTTPS for the gRPC API and the HTTP endpoints: the silo's certificate, and a client certificate issued by the
    /// cluster's authority required of every caller (silos, the SDK, the CLI, a browser on the dashboard).
    /// </summary>
    private static HttpsConnectionAdapterOptions ClusterHttps(ClusterTls tls) => new()
    {
        ServerCertificate = tls.Certificate,
        ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,
        ClientCertificateValidation = (certificate, _, _) => tls.Trusts(certificate),
        CheckCertificateRevocation = false,
    };

    /// <summary>
    /// The Dynamo logic of this silo over its Orleans adapters: silo-to-silo calls are grain calls, liveness
    /// comes from cluster membership, and the ring is gossiped with the other active silos.
    /// </summary>
    private static SiloRuntime CreateRuntime(SiloOptions options, IServiceProvider services, SiloHostHooks? hooks)
    {
        var storeLog = services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansDynamo.Storage");
        SiloRuntime? runtime = null;
        var store = FaultInjection.PlantedFaultStore.Wrap(
            OpenStore(options, message => storeLog.LogWarning("{Message}", message), new Admission.StoreMergePacer(() => runtime?.Admission)),
            options.FaultInjection);
        if (hooks?.WrapStore is { } wrapStore) store = wrapStore(store);
        var membership = services.GetRequiredService<IClusterMembershipService>();
        ISiloTransport transport = new GrainSiloTransport(services.GetRequiredService<IGrainFactory>(),
            address => runtime?.Membership.State.Members.Values.FirstOrDefault(m => string.Equals(m.Info.Address.TrimEnd('/'), address, StringComparison.OrdinalIgnoreCase))?.Name,
            silo => ActiveMembers.Newest(membership.CurrentSnapshot, silo) is not null);
        if (hooks?.WrapTransport is { } wrapTransport) transport = wrapTransport(transport);
        string self = options.EffectiveSiloName;
        runtime = new SiloRuntime(options, store, transport, TimeProvider.System, new Random(), services.GetRequiredService<ILoggerFactory>(),
            new ClusterMembershipDetector(membership),
            () => ActiveMembers.Others(membership.CurrentSnapshot, self), services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        return runtime;
    }

    /// <summary>
    /// Opens the silo's store; <paramref name="warning"/> hears what the engine repaired (a torn tail cut at open, a failed
    /// merge), and <paramref name="mergePacer"/> paces the log engine's merges (the silo's admission).
    /// </summary>
    public static IPartitionStore OpenStore(SiloOptions options, Action<string>? warning = null, IBackgroundPacer? mergePacer = null) =>
        PartitionStoreFactory.Open(new StorageOptions
        {
            Warning = warning,
            MergePacer = mergePacer,
            Engine = options.StorageEngine,
            DataDirectory = options.DataDirectory,
            Durability = options.Durability,
            MaxValueBytes = 64 * 1024 * 1024,
        });
}
