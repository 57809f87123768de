using System.Net;
using Orleans.Runtime;

namespace OrleansDynamo.Silo.Hosting;

/// <summary>
/// This silo's Orleans identity (<see cref="ILocalSiloDetails"/>) with a generation that never goes backwards for one data
/// directory. Orleans names a silo incarnation by its endpoint and a generation it takes from the wall clock (seconds since
/// 2022); a silo restarted with its clock behind the previous incarnation's start (a clock that ran ahead, then was stepped
/// back) got a lower generation than the incarnation it replaces, membership saw it as superseded, and the new process was
/// declared dead and stopped itself at once, again at every restart until its clock caught up (found by the fault tier,
/// docs/reliability.md). The generation is max(clock, last + 1), the last kept in <see cref="FileName"/> in the data directory.
/// </summary>
internal sealed class MonotonicSiloDetails : ILocalSiloDetails
{
    public const string FileName = "orleans-generation";

    private readonly Lazy<SiloAddress> _siloAddress;

    public MonotonicSiloDetails(string name, string clusterId, IPEndPoint siloEndpoint, IPEndPoint? gatewayEndpoint, string dataDirectory)
    {
        Name = name;
        ClusterId = clusterId;
        DnsHostName = Dns.GetHostName();
        _siloAddress = new Lazy<SiloAddress>(() => SiloAddress.New(siloEndpoint, Allocate(dataDirectory, SiloAddress.AllocateNewGeneration())));
        GatewayAddress = gatewayEndpoint is null ? null! : SiloAddress.New(gatewayEndpoint, 0);
    }

    public string Name { get; }

    public string ClusterId { get; }

    public string DnsHostName { get; }

    public SiloAddress SiloAddress => _siloAddress.Value;

    public SiloAddress GatewayAddress { get; }

    /// <summary>The clock's generation, or one past the last one used when the clock is not past it.</summary>
    public static int Next(int clock, int? last) => last is { } l && l >= clock ? l + 1 : clock;

    /// <summary>
    /// The generation of this start, recorded for the next one. A record that cannot be written (a full disk) leaves this
    /// start with its generation and the next start back on the clock alone.
    /// </summary>
    public static int Allocate(string dataDirectory, int clock)
    {
        var path = Path.Combine(dataDirectory, FileName);
        int? last = null;
        try
        {
            if (File.Exists(path) && int.TryParse(File.ReadAllText(path).Trim(), out var read)) last = read;
        }
        catch (IOException)
        {
        }
        int generation = Next(clock, last);
        try
        {
            Directory.CreateDirectory(dataDirectory);
            var temp = path + ".tmp";
            using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
            using (var w = new StreamWriter(f))
            {
                w.Write(generation.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.Flush();
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return generation;
    }
}
