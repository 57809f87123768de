using OrleansDynamo.Protocol.Gateway;
using OrleansDynamo.Silo.Security;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using OrleansDynamo.Silo.Grains;
using OrleansDynamo.Silo.Clustering;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Placement;
using Orleans.Dashboard;

using ProtocolSecurity = OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// Maps a silo's settings onto Orleans: cluster id (the cluster name), silo name, silo-to-silo and gateway
/// endpoints on the configured address, the Dynamo owner placement, messaging timeouts and size limits, and the lifecycle
/// stage at which the Dynamo logic starts and stops.
/// </summary>
public static class OrleansSilo
{
    /// <summary>
    /// The largest Orleans message header a silo reads or writes: 1 MiB (Orleans' default is 10 MiB). A header holds the
    /// call's addressing and its request context, in which the SDK sends only its API key.
    /// </summary>
    public const int MaxMessageHeaderBytes = 1024 * 1024;

    public static void Configure(ISiloBuilder silo, SiloOptions options, IPAddress address, ClusterTls? tls = null)
    {
        if (tls is not null)
        {
            // Mutual TLS on the silo-to-silo and gateway connections: each side presents its certificate, and only a
            // certificate the cluster's authority issued is accepted, before any message is read.
            silo.UseTls(tls.Certificate, o =>
            {
                o.RemoteCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                o.ClientCertificateMode = Orleans.Connections.Security.RemoteCertificateMode.RequireCertificate;
                o.RemoteCertificateValidation = (certificate, _, _) => tls.Trusts(certificate);
            });
            // The validation above runs for both listeners and cannot tell them apart: on the silo port, after the
            // handshake, a connection must also come from a silo certificate (a client certificate may only use the gateway).
            silo.Configure<SiloConnectionOptions>(o => o.ConfigureSiloInboundConnection(connection => connection.Use(next => context =>
            {
                var peer = context.Features.Get<Orleans.Connections.Security.ITlsConnectionFeature>()?.RemoteCertificate;
                if (peer is not null && ProtocolSecurity.ClusterCertificates.RoleOf(peer) == ProtocolSecurity.CertificateRole.Silo) return next(context);
                context.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException(
                    $"a {(peer is null ? "connection without a certificate" : $"client certificate ('{ProtocolSecurity.ClusterCertificates.NameOf(peer)}')")} may not use the silo port"));
                return Task.CompletedTask;
            })));
        }
        silo.UseDynamoClustering(options.Clustering, new ClusterIdentity(options.ClusterName, DynamoCluster.ServiceId),
            new SiloEndpoints(options.SiloPort, options.GatewayPort) { AdvertisedAddress = address });
        silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = options.EffectiveSiloName);
        // Listen on the configured address only (never on every interface).
        silo.ConfigureEndpoints(address, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: false);
        // A durable silo's generation never goes backwards, whatever its clock did (MonotonicSiloDetails).
        if (options.StorageEngine != Storage.StorageOptions.MemoryEngine)
        {
            silo.Services.AddSingleton<ILocalSiloDetails>(new MonotonicSiloDetails(options.EffectiveSiloName, options.ClusterName,
                new IPEndPoint(address, options.SiloPort), options.GatewayPort > 0 ? new IPEndPoint(address, options.GatewayPort) : null,
                options.DataDirectory));
        }
        silo.Configure<SiloMessagingOptions>(o =>
        {
            // Every Dynamo call carries its own, shorter deadline; this only bounds a call nobody waits for.
            o.ResponseTimeout = TimeSpan.FromMilliseconds(4 * Math.Max(options.RequestTimeoutMs, options.ReplicaTimeoutMs));
            o.SystemResponseTimeout = o.ResponseTimeout;
            // A message larger than these makes Orleans close the connection it came on, before the body is read into
            // memory: the gateway's clients and the other silos alike (one setting covers both).
            o.MaxMessageBodySize = options.Limits.EffectiveMaxMessageBytes;
            o.MaxMessageHeaderSize = MaxMessageHeaderBytes;
        });
        silo.Configure<ReminderOptions>(o =>
        {
            var period = TimeSpan.FromMilliseconds(options.BackgroundReminderPeriodMs);
            if (period < o.MinimumReminderPeriod) o.MinimumReminderPeriod = period;
        });
        // Orleans sizes its grain-location cache for a million grains up front (two tables of 9 MB a silo, measured). A silo
        // here calls a replica grain per partition and silo it writes to, a grain per silo and the API grain: Q x 16 covers
        // clusters of 16 silos with every partition's replica grain cached; a miss only costs a directory lookup.
        silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = Math.Max(16_384, options.PartitionCount * 16));
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMilliseconds(Math.Max(61_000, options.GrainIdleTimeoutMs)));
        // The Orleans dashboard's services; its pages are mapped with the Dynamo dashboard (Dashboard/DashboardFeature.cs).
        if (options.Dashboard.OrleansDashboard) silo.AddDashboard();
        silo.Services.AddPlacementDirector<DynamoOwnerPlacement, DynamoOwnerPlacementDirector>();
        silo.Services.AddSingleton<OwnerGrainDirectory>();
        silo.Services.AddSingleton<Orleans.Runtime.GrainDirectory.IGrainDirectoryResolver, OwnerGrainDirectoryResolver>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SiloRuntimeLifecycle>();
        // The client API as this silo's system target, which the SDK addresses by the silo's gateway.
        silo.Services.AddSingleton<Orleans.Services.IGrainService>(sp => ActivatorUtilities.CreateInstance<DynamoApiService>(sp));
    }

    /// <summary>
    /// Starts the Dynamo background work once the silo is active, and stops it before the silo leaves the cluster.
    /// (The persisted state is loaded before Orleans starts, and the silo's join recorded after every port is bound:
    /// <see cref="SiloStartup"/>.)
    /// </summary>
    private sealed class SiloRuntimeLifecycle(SiloRuntime runtime, IGrainFactory grains, ILogger<SiloRuntimeLifecycle> log) : ILifecycleParticipant<ISiloLifecycle>
    {
        public void Participate(ISiloLifecycle lifecycle)
        {
            lifecycle.Subscribe("OrleansDynamo.SiloWork", ServiceLifecycleStage.Active, async ct =>
            {
                runtime.StartBackgroundWork(scheduleLoops: false);
                try
                {
                    await grains.GetGrain<ISiloWorkGrain>(runtime.Name).EnsureRunningAsync().WaitAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The reminder service may not be ready yet; the background grain's reminder is registered on its
                    // first tick otherwise, so the silo still starts (its work starts with the first activation).
                    log.LogWarning(e, "Could not start the background work of {Silo} at once; retrying in the background", runtime.Name);
                    _ = RetryAsync();
                }
            }, _ => runtime.StopAsync());
        }

        private async Task RetryAsync()
        {
            for (int attempt = 1; attempt <= 60; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                try
                {
                    await grains.GetGrain<ISiloWorkGrain>(runtime.Name).EnsureRunningAsync();
                    return;
                }
                catch (Exception e)
                {
                    log.LogWarning("Starting the background work of {Silo} failed (attempt {Attempt}): {Message}", runtime.Name, attempt, e.Message);
                }
            }
        }
    }
}
