using Microsoft.AspNetCore.Builder;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Hosting;

namespace OrleansDynamo.TestingHost;

/// <summary>One silo of a <see cref="TestCluster"/>: its settings survive stop and restart, and so does its data directory.</summary>
public sealed class TestSilo
{
    internal TestSilo(SiloOptions options) => Options = options;

    public SiloOptions Options { get; }

    public string Name => Options.EffectiveSiloName;

    public string GrpcAddress => Options.AdvertisedGrpcAddress;

    public string? HttpAddress => Options.AdvertisedHttpAddress;

    public WebApplication? App { get; internal set; }

    /// <summary>The running silo; throws while stopped.</summary>
    public SiloRuntime Runtime => RuntimeOrNull ?? throw new InvalidOperationException($"silo {Name} is stopped");

    public SiloRuntime? RuntimeOrNull { get; internal set; }

    public bool IsRunning => RuntimeOrNull is not null;

    /// <summary>Why Orleans stopped this silo on its own (a fatal error), or null.</summary>
    public string? FatalError { get; internal set; }

    public override string ToString() => $"{Name} ({GrpcAddress}, {(IsRunning ? "running" : "stopped")})";
}
