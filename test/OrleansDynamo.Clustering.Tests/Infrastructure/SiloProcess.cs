using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orleans.Runtime;
using OrleansDynamo.Clustering.Tests.Grains;
using OrleansDynamo.Silo.Clustering;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>
/// A silo in its own process (this test assembly run as <c>dotnet exec ... silo</c>), on the SQLite
/// clustering file, so a test can crash it for real: <see cref="Crash"/> is a SIGKILL, after which the
/// silo writes nothing anywhere and the others must find out by probing. The child prints
/// <c>READY address</c> once its silo is Active in the cluster, and exits when its stdin closes.
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    public const string Verb = "silo";
    private const string ReadyPrefix = "READY ";
    private const string StopCommand = "stop";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output;

    private SiloProcess(Process process, StringBuilder output, SiloAddress address)
    {
        _process = process;
        _output = output;
        Address = address;
    }

    /// <summary>This incarnation's address (endpoint and generation), as the child reported it.</summary>
    public SiloAddress Address { get; }

    public bool IsRunning => !_process.HasExited;

    public static async Task<SiloProcess> StartAsync(string name, SiloEndpoints endpoints, string sqlitePath, ClusterIdentity cluster)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "exec", typeof(SiloProcess).Assembly.Location, Verb, name,
                     endpoints.SiloPort.ToString(CultureInfo.InvariantCulture), endpoints.GatewayPort.ToString(CultureInfo.InvariantCulture),
                     sqlitePath, cluster.ClusterId, cluster.ServiceId,
                 })
            start.ArgumentList.Add(argument);

        var output = new StringBuilder();
        var ready = new TaskCompletionSource<SiloAddress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.StartsWith(ReadyPrefix, StringComparison.Ordinal)) ready.TrySetResult(SiloAddress.FromParsableString(e.Data[ReadyPrefix.Length..]));
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"silo process {name} exited before it was ready"));
        if (!process.Start()) throw new InvalidOperationException($"could not start {start.FileName}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await ready.Task.WaitAsync(StartTimeout);
            return new SiloProcess(process, output, address);
        }
        catch (Exception e)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            string text;
            lock (output) text = output.ToString();
            throw new InvalidOperationException($"silo process {name} did not become ready: {e.Message}; its output:\n{text}", e);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs in the silo.</summary>
    public async Task CrashAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync(StopCommand);
                await _process.StandardInput.FlushAsync();
                try
                {
                    await _process.WaitForExitAsync().WaitAsync(ExitTimeout);
                }
                catch (TimeoutException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (IOException)
        {
            // the child is already gone
        }
        finally
        {
            _process.Dispose();
        }
    }

    /// <summary>The child's side: args are name, silo port, gateway port, SQLite path, cluster id, service id.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args.Length != 6)
        {
            await Console.Error.WriteLineAsync($"usage: {Verb} name silo-port gateway-port sqlite-path cluster-id service-id");
            return 2;
        }
        var endpoints = new SiloEndpoints(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        var clustering = new ClusteringOptions { Mode = ClusteringModes.Sqlite, SqlitePath = args[3] };
        var silo = await TestSilo.StartAsync(args[0], clustering, new ClusterIdentity(args[4], args[5]), endpoints, new ReminderTickLog());
        await Console.Out.WriteLineAsync(ReadyPrefix + silo.Address.ToParsableString());
        await Console.Out.FlushAsync();
        // Run until told to stop (a graceful stop) or until the parent goes away (stdin closes).
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == StopCommand)
            {
                await silo.DisposeAsync();
                return 0;
            }
        }
        return 0;
    }
}
