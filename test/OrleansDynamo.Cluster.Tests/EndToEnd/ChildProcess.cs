using System.Diagnostics;
using System.Text;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>A program run as a real child process (dotnet X.dll), its output captured, killed on dispose.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ChildProcess(Process process) => _process = process;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>The last <paramref name="lines"/> lines of the captured output.</summary>
    public string Tail(int lines)
    {
        var all = Output.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>
    /// Kills the child at once with SIGKILL (on Linux <see cref="Process.Kill()"/> sends SIGKILL: no shutdown
    /// code runs, nothing is flushed) and waits, bounded, until it is gone.
    /// </summary>
    public async Task KillHardAsync(TimeSpan timeout)
    {
        if (_process.HasExited) throw new InvalidOperationException($"process {_process.Id} exited before it could be killed: {Tail(40)}");
        _process.Kill();
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public static ChildProcess Start(string dll, string workingDirectory, params string[] args) => Start(dll, workingDirectory, null, args);

    /// <summary>Starts <c>dotnet <paramref name="dll"/></c> with extra environment variables.</summary>
    public static ChildProcess Start(string dll, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>Runs a command to completion (bounded) and returns exit code, stdout and stderr.</summary>
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string dll, string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunProgramAsync("dotnet", [dll, .. args], timeout, workingDirectory);

    /// <summary>Runs <paramref name="program"/> (found on PATH) to completion, bounded, and returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunProgramAsync(string program, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
