using OrleansDynamo.Clustering.Tests.Infrastructure;

namespace OrleansDynamo.Clustering.Tests;

/// <summary>
/// The test assembly's entry point, used only when a test starts it as a child process
/// (<c>dotnet exec OrleansDynamo.Clustering.Tests.dll silo ...</c>) to host a silo it can SIGKILL.
/// The test runner loads this assembly as a library and never calls it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == SiloProcess.Verb) return await SiloProcess.RunChildAsync(args[1..]);
        await Console.Error.WriteLineAsync($"this is a test assembly: run it with `dotnet test`, or `{SiloProcess.Verb} ...` to host one test silo");
        return 2;
    }
}
