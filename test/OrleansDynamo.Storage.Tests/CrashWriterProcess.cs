using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using OrleansDynamo.Storage.CrashWriter;
using Xunit;

namespace OrleansDynamo.Storage.Tests;

/// <summary>
/// Runs the CrashWriter in a child process on <c>dir</c> with one engine, reads its acks, and kills it with SIGKILL (no
/// flush, no dispose, no checkpoint) once <c>killAfterAcks</c> writes are acknowledged: the crash the crash tests of
/// every durable engine recover from.
/// </summary>
internal static class CrashWriterProcess
{
    private static string CrashWriterPath =>
        typeof(CrashWriterProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CrashWriterPath").Value!;

    /// <summary>The keys whose writes the child acknowledged before it was killed.</summary>
    public static async Task<HashSet<string>> RunAndKillAsync(string dir, string engine, int writers, int killAfterAcks)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", CrashWriterPath, dir, writers.ToString(CultureInfo.InvariantCulture), "30", engine })
            psi.ArgumentList.Add(arg);

        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var acked = new HashSet<string>(StringComparer.Ordinal);
        bool killed = false;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (CrashPayload.TryParseAck(line, out var key)) acked.Add(key);
            if (!killed && acked.Count >= killAfterAcks)
            {
                process.Kill(entireProcessTree: true);
                killed = true;
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(killed, $"the writer exited on its own (code {process.ExitCode}): {await stderr}");
        return acked;
    }
}
