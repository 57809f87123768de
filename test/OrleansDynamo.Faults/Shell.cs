using System.Diagnostics;

namespace OrleansDynamo.Faults;

/// <summary>Runs a system command (mount, iptables) and throws with its output when it fails.</summary>
internal static class Shell
{
    public static string Run(string file, params string[] args) => TryRun(file, args, out var output) ? output
        : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {output.Trim()}");

    public static bool TryRun(string file, string[] args, out string output)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(30_000))
            {
                p.Kill();
                output = "timed out after 30 s";
                return false;
            }
            output = stdout.Result + stderr.Result;
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            output = $"cannot run {file}: {e.Message}";
            return false;
        }
    }

    public static bool Exists(string file) => TryRun("sh", ["-c", $"command -v {file}"], out _);
}
