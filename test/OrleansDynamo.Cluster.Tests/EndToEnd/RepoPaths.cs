using System.Net;
using System.Net.Sockets;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>Where the repository and the built programs are, for tests that run real processes.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The silo and the CLI are built next to the tests (project references copy them).</summary>
    public static string SiloDll => Path.Combine(AppContext.BaseDirectory, "OrleansDynamo.Silo.dll");

    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "dynamo.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OrleansDynamo.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("OrleansDynamo.sln not found above " + AppContext.BaseDirectory);
    }

    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        foreach (var l in listeners) l.Start();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        foreach (var l in listeners) l.Stop();
        return ports;
    }
}
