using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansDynamo.Faults;

/// <summary>One silo process of the fleet: its ports, its group id (link cuts match it), its data tmpfs, its current process.</summary>
public sealed class SiloProcess(int index, int grpcPort, int siloPort, int gatewayPort, string mount)
{
    public int Index { get; } = index;
    public string Name => $"s{Index + 1}";
    public int GrpcPort { get; } = grpcPort;
    public int SiloPort { get; } = siloPort;
    public int GatewayPort { get; } = gatewayPort;

    /// <summary>The process runs with this real and effective group id, so iptables' owner match tells its packets apart.</summary>
    public int GroupId => 47100 + Index;

    /// <summary>A tmpfs mounted for this silo alone: its data directory lives in it.</summary>
    public string Mount { get; } = mount;
    public string DataDirectory => Path.Combine(Mount, "data");
    public string Filler => Path.Combine(Mount, "filler");
    public string Endpoint => $"http://127.0.0.1:{GrpcPort}";

    internal Process? Process { get; set; }
    public int Starts { get; internal set; }
    public int SkewSeconds { get; internal set; }
    public bool Paused { get; internal set; }
    public int Pid => Process?.Id ?? 0;
    public bool Running => Process is { HasExited: false };
}

/// <summary>
/// The silo processes of one run on loopback: started (optionally under libfaketime) as `dotnet OrleansDynamo.Silo.dll` with
/// sqlite clustering in one shared file, killed with SIGKILL, paused with SIGSTOP/SIGCONT, their data tmpfs filled and
/// freed. Disposing kills every process it started (by id) and unmounts every tmpfs it mounted.
/// </summary>
public sealed class SiloFleet : IDisposable
{
    private const string FakeTimeLibrary = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
    private readonly FaultRunOptions _options;
    private readonly string _directory;
    private readonly string _siloDll;
    private readonly string _config;
    private readonly Action<string> _log;
    private readonly List<string> _mounted = [];

    public SiloFleet(FaultRunOptions options, string directory, Action<string> log)
    {
        _options = options;
        _directory = directory;
        _log = log;
        (_siloDll, _config) = Locate();
        var ports = FreePorts(options.Silos * 3);
        for (int i = 0; i < options.Silos; i++)
        {
            var mount = Path.Combine(directory, $"s{i + 1}");
            System.IO.Directory.CreateDirectory(mount);
            Shell.Run("mount", "-t", "tmpfs", "-o", $"size={options.DataMegabytes}m", "tmpfs", mount);
            _mounted.Add(mount);
            Silos.Add(new SiloProcess(i, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], mount));
        }
    }

    public List<SiloProcess> Silos { get; } = [];

    public string SiloDll => _siloDll;

    public IEnumerable<string> Endpoints => Silos.Select(s => s.Endpoint);

    public string LogPath(SiloProcess silo, int start) => Path.Combine(_directory, $"{silo.Name}.{start}.log");

    public IEnumerable<string> LogFiles => Silos.SelectMany(s => Enumerable.Range(1, s.Starts).Select(n => LogPath(s, n)));

    /// <summary>The silo executable of this build (bin/Release or bin/Debug, this assembly's configuration first) and the silo config.</summary>
    private static (string Dll, string Config) Locate()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OrleansDynamo.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException($"OrleansDynamo.sln not found above {AppContext.BaseDirectory}");
#if DEBUG
        string[] configurations = ["Debug", "Release"];
#else
        string[] configurations = ["Release", "Debug"];
#endif
        foreach (var c in configurations)
        {
            var dll = Path.Combine(dir.FullName, "src", "OrleansDynamo.Silo", "bin", c, "net10.0", "OrleansDynamo.Silo.dll");
            if (File.Exists(dll)) return (dll, Path.Combine(dir.FullName, "silo-config", "local-cluster", "silo1.json"));
        }
        throw new InvalidOperationException($"no build of src/OrleansDynamo.Silo under {dir.FullName} (dotnet build first)");
    }

    private static List<int> FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var l = new TcpListener(IPAddress.Loopback, 0);
                l.Start();
                listeners.Add(l);
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }

    /// <summary>Starts the silo's process (a new log file per start); <paramref name="skewSeconds"/> != 0 runs it under libfaketime.</summary>
    public void Start(SiloProcess silo, int skewSeconds = 0)
    {
        if (silo.Running) throw new InvalidOperationException($"{silo.Name} is already running (pid {silo.Pid})");
        silo.Starts++;
        silo.SkewSeconds = skewSeconds;
        silo.Paused = false;
        string[] args =
        [
            _siloDll, "--config", _config,
            $"--Silo:ClusterName=faults", $"--Silo:SiloName={silo.Name}", $"--Silo:GrpcPort={silo.GrpcPort}", "--Silo:HttpPort=0",
            $"--Silo:SiloPort={silo.SiloPort}", $"--Silo:GatewayPort={silo.GatewayPort}",
            "--Silo:Clustering:Mode=sqlite", $"--Silo:Clustering:SqlitePath={Path.Combine(_directory, "cluster.db")}",
            $"--Silo:PartitionCount={_options.Partitions}", $"--Silo:DataDirectory={silo.DataDirectory}",
            "--Silo:StorageEngine=sqlite", "--Silo:Durability=Full",
            "--Silo:DefaultBucket:N=3", "--Silo:DefaultBucket:R=2", "--Silo:DefaultBucket:W=2",
            // Faster background loops than production, so a short run sees them work.
            "--Silo:AntiEntropy:ExchangeIntervalMs=8000", "--Silo:AntiEntropy:RetryIntervalMs=2000",
            "--Silo:Hints:MaxBackoffMs=4000",
            .. PlantArguments(_options.Plant),
        ];
        var command = "exec setpriv --regid=" + silo.GroupId + " --clear-groups -- dotnet " + string.Join(' ', args.Select(Quote))
            + " >" + Quote(LogPath(silo, silo.Starts)) + " 2>&1";
        var info = new ProcessStartInfo("sh") { UseShellExecute = false, WorkingDirectory = _directory };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        info.Environment.Remove("FAKETIME");
        info.Environment.Remove("LD_PRELOAD");
        if (skewSeconds != 0)
        {
            info.Environment["LD_PRELOAD"] = FakeTimeLibrary;
            info.Environment["FAKETIME"] = skewSeconds > 0 ? $"+{skewSeconds}" : $"{skewSeconds}";
            info.Environment["DONT_FAKE_MONOTONIC"] = "1";
        }
        silo.Process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {silo.Name}");
        File.AppendAllText(Path.Combine(_directory, "pids"), silo.Process.Id + "\n");
        _log($"{silo.Name} started (pid {silo.Pid}, start {silo.Starts}{(skewSeconds != 0 ? $", clock {skewSeconds:+0;-0} s" : "")})");
    }

    public static IEnumerable<string> PlantArguments(string plant) => plant switch
    {
        "" => [],
        // Read repair off together with anti-entropy: only hints are left to make replicas agree.
        "no-read-repair" => ["--Silo:FaultInjection:Plant=no-read-repair", "--Silo:AntiEntropy:Enabled=false"],
        _ => [$"--Silo:FaultInjection:Plant={plant}"],
    };

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>kill -9 (a paused process too).</summary>
    public void Kill(SiloProcess silo)
    {
        if (silo.Process is not { } p) return;
        Signals.Send(p.Id, Signals.Kill);
        if (!p.WaitForExit(10_000)) throw new InvalidOperationException($"{silo.Name} (pid {p.Id}) did not die of SIGKILL");
        silo.Paused = false;
        _log($"{silo.Name} killed (pid {p.Id})");
    }

    public void Pause(SiloProcess silo)
    {
        if (silo.Running && Signals.Send(silo.Pid, Signals.Stop)) silo.Paused = true;
        _log($"{silo.Name} paused (SIGSTOP)");
    }

    public void Resume(SiloProcess silo)
    {
        if (silo.Running) Signals.Send(silo.Pid, Signals.Continue);
        silo.Paused = false;
        _log($"{silo.Name} resumed (SIGCONT)");
    }

    /// <summary>Fills the silo's tmpfs to the last byte with a filler file; returns the bytes written.</summary>
    public long FillDisk(SiloProcess silo)
    {
        long written = 0;
        var chunk = new byte[1 << 20];
        try
        {
            using var f = new FileStream(silo.Filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            while (true)
            {
                f.Write(chunk);
                f.Flush();
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. The last partial chunk may or may not be counted; fill what is left byte-wise in smaller steps.
        }
        try
        {
            using var f = new FileStream(silo.Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            var small = new byte[4096];
            while (true)
            {
                f.Write(small);
                f.Flush();
                written += small.Length;
            }
        }
        catch (IOException)
        {
        }
        _log($"{silo.Name}'s data tmpfs filled ({written / (1 << 20)} MiB of filler)");
        return written;
    }

    public void FreeDisk(SiloProcess silo)
    {
        File.Delete(silo.Filler);
        _log($"{silo.Name}'s data tmpfs freed");
    }

    public void Dispose()
    {
        foreach (var silo in Silos)
        {
            try
            {
                if (silo.Running) Kill(silo);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                _log($"cleanup: {e.Message}");
            }
        }
        foreach (var mount in _mounted)
        {
            if (!Shell.TryRun("umount", [mount], out var output)) _log($"cleanup: umount {mount}: {output.Trim()}");
        }
        _mounted.Clear();
    }
}
