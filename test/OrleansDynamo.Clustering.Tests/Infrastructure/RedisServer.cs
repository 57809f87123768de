using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace OrleansDynamo.Clustering.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> child process on a free loopback port, with persistence off
/// (<c>--save "" --appendonly no</c>), killed on dispose. Fails loudly when redis-server is not installed.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly TempDirectory _directory;
    private readonly StringBuilder _output = new();

    private RedisServer(Process process, TempDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=5000";

    public static async Task<RedisServer> StartAsync()
    {
        var executable = FindOnPath("redis-server")
            ?? throw new InvalidOperationException(
                "redis-server is not installed (not found on PATH). The Redis clustering tests run a real server: "
                + "install it with `apt-get update && apt-get install -y redis-server` (.ci/run does this).");
        var port = FreePorts.Take(1)[0];
        var directory = new TempDirectory();
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = directory.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", directory.Path })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        var server = new RedisServer(process, directory, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Eventually.Until($"redis-server on port {port} to answer PING", StartTimeout, async () =>
            {
                if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode}: {server.Output}");
                return await server.PingAsync() ? null : "no PONG yet";
            });
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
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
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(StartTimeout);
            }
        }
        finally
        {
            _process.Dispose();
            _directory.Dispose();
        }
    }
}
