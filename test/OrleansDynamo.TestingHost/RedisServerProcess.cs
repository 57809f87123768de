using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// A real <c>redis-server</c> child process on a test-picked loopback port with persistence off
/// (<c>--save "" --appendonly no</c>), killed on dispose. Fails with the install command when
/// redis-server is not on PATH.
/// </summary>
public sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _output = new();

    private RedisServerProcess(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The StackExchange.Redis configuration string the silos get.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000";

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<RedisServerProcess> StartAsync()
    {
        var executable = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "redis-server"))
            .FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                "redis-server is not installed (not found on PATH); this test runs a real one: "
                + "apt-get update && apt-get install -y redis-server (.ci/run does this)");
        // A port from the kernel's ephemeral range: test clusters (this process's and another test process's) take
        // theirs from 20000-31999, so a redis-server of one test process never takes a port another has handed out.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var directory = Path.Combine(Path.GetTempPath(), "od-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", directory })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}");
        var server = new RedisServerProcess(process, directory, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!await server.PingAsync())
            {
                if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode}: {server.Output}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"redis-server on port {port} did not answer PING within 20 s: {server.Output}");
                await Task.Delay(50);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync("127.0.0.1", Port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            int read = await stream.ReadAsync(buffer, timeout.Token);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await _process.WaitForExitAsync(cts.Token);
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temp cleanup.
            }
        }
    }
}
