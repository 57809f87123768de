using System.Diagnostics;
using System.Text.Json;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// The client API is standard gRPC: Debian's python3-grpcio (a third-party client) puts then gets
/// against a real three-silo cluster, and its error statuses are the ones our SDK sees.
/// </summary>
public sealed class ThirdPartyClientTests(ITestOutputHelper output)
{
    private static string Script => Path.Combine(RepoPaths.Root, "test", "OrleansDynamo.Protocol.Tests", "python", "dynamo_client.py");

    private async Task<JsonElement> Python(params string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        info.ArgumentList.Add(Script);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start /usr/bin/python3");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        output.WriteLine(await stdout);
        output.WriteLine(await stderr);
        Assert.True(process.ExitCode is 0 or 1, $"python client failed to run (exit {process.ExitCode}; is python3-grpcio installed?): {await stderr}");
        return JsonDocument.Parse(await stdout).RootElement;
    }

    [Fact]
    public async Task Python_grpcio_puts_then_gets_through_a_real_silo()
    {
        await using var cluster = await TestCluster.StartAsync();
        int port = new Uri(cluster[1].GrpcAddress).Port;
        var result = await Python("--port", port.ToString(), "--key", "from-python", "--value", "héllo wörld", "--op", "putget");
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.True(result.GetProperty("roundtrip").GetBoolean());
        Assert.True(result.GetProperty("get").GetProperty("found").GetBoolean());

        // and the value is really in the store, readable by our own SDK
        var client = await cluster.CreateClientAsync();
        var got = await client.GetAsync("default", "from-python");
        Assert.Equal("héllo wörld", Assert.Single(got.Siblings).ValueAsString);
    }

    [Fact]
    public async Task Python_grpcio_sees_invalid_argument_for_an_empty_key()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 1, N = 1, R = 1, W = 1 });
        int port = new Uri(cluster[0].GrpcAddress).Port;
        var result = await Python("--port", port.ToString(), "--key", "", "--value", "x", "--op", "put");
        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Equal("INVALID_ARGUMENT", result.GetProperty("code").GetString());
        Assert.Contains("key must not be empty", result.GetProperty("details").GetString());
    }
}
