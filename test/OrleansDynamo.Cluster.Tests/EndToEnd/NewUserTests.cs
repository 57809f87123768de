using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Issue 4, "as a new user would": the README's silo configs started as real processes, and the
/// `dynamo` command run as a real process against them. Ports and data directories are overridden
/// on the command line (the way the README shows) so tests never collide.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class NewUserTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private static async Task<(int, string, string)> Dynamo(params string[] args) =>
        await ChildProcess.RunAsync(RepoPaths.CliDll, RepoPaths.Root, CliTimeout, args);

    private static async Task WaitForSilo(string endpoint, ChildProcess silo, int expectedSilos)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var (code, stdout, _) = await Dynamo("status", "--json", "--endpoint", endpoint);
            if (code == 0)
            {
                using var doc = JsonDocument.Parse(stdout);
                int up = doc.RootElement.GetProperty("silos").EnumerateArray().Count(s => s.GetProperty("status").GetString() == "up");
                if (up == expectedSilos) return;
            }
            if (silo.HasExited) throw new InvalidOperationException("the silo exited: " + silo.Output);
            if (DateTime.UtcNow > deadline) throw new TimeoutException("silo not ready: " + silo.Output);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task The_dev_silo_starts_from_its_config_and_the_cli_puts_and_gets()
    {
        var ports = RepoPaths.FreePorts(4);
        var data = Path.Combine(Path.GetTempPath(), "od-dev-" + Guid.NewGuid().ToString("N")[..8]);
        string endpoint = $"http://127.0.0.1:{ports[0]}";
        await using var silo = ChildProcess.Start(RepoPaths.SiloDll, RepoPaths.Root,
            "--config", "silo-config/dev.json", $"--Silo:GrpcPort={ports[0]}", $"--Silo:HttpPort={ports[1]}",
            $"--Silo:SiloPort={ports[2]}", $"--Silo:GatewayPort={ports[3]}", $"--Silo:DataDirectory={data}");
        try
        {
            await WaitForSilo(endpoint, silo, 1);
            var (putCode, putOut, putErr) = await Dynamo("put", "k", "v", "--endpoint", endpoint, "--json");
            Assert.True(putCode == 0, putErr);
            Assert.True(JsonDocument.Parse(putOut).RootElement.GetProperty("context").GetString()!.Length > 0);

            var (getCode, getOut, getErr) = await Dynamo("get", "k", "--json", "--endpoint", endpoint);
            output.WriteLine(getOut);
            Assert.True(getCode == 0, getErr);
            var root = JsonDocument.Parse(getOut).RootElement;
            Assert.True(root.GetProperty("found").GetBoolean());
            Assert.Equal("v", root.GetProperty("siblings")[0].GetProperty("value").GetString());

            var (missingCode, _, _) = await Dynamo("get", "nope", "--endpoint", endpoint);
            Assert.Equal(1, missingCode);
            var (badCode, _, badErr) = await Dynamo("put", "", "v", "--endpoint", endpoint);
            Assert.Equal(2, badCode);
            Assert.Contains("key must not be empty", badErr);
            Assert.Single(badErr.Trim().Split('\n'));
        }
        finally
        {
            await silo.DisposeAsync();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_three_silo_local_cluster_starts_and_status_lists_three_silos_up()
    {
        // Per silo: gRPC, HTTP, Orleans silo-to-silo and gateway ports; the silos meet in a SQLite file of the test's own.
        var ports = RepoPaths.FreePorts(12);
        var data = Path.Combine(Path.GetTempPath(), "od-local-" + Guid.NewGuid().ToString("N")[..8]);
        var silos = new List<ChildProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                silos.Add(ChildProcess.Start(RepoPaths.SiloDll, RepoPaths.Root,
                    "--config", $"silo-config/local-cluster/silo{i + 1}.json",
                    $"--Silo:GrpcPort={ports[i]}", $"--Silo:HttpPort={ports[3 + i]}",
                    $"--Silo:SiloPort={ports[6 + i]}", $"--Silo:GatewayPort={ports[9 + i]}",
                    $"--Silo:DataDirectory={Path.Combine(data, $"silo{i + 1}")}",
                    $"--Silo:Clustering:SqlitePath={Path.Combine(data, "cluster.db")}"));
            }
            // A silo lists a new member joining until it learns that the member has received its partitions from
            // every sender, and each silo learns that on its own: wait until every one of them lists all three up.
            for (int i = 0; i < 3; i++) await WaitForSilo($"http://127.0.0.1:{ports[i]}", silos[i], 3);
            var (code, stdout, stderr) = await Dynamo("status", "--json", "--endpoint", $"http://127.0.0.1:{ports[1]}");
            output.WriteLine(stdout);
            Assert.True(code == 0, stderr);
            var list = JsonDocument.Parse(stdout).RootElement.GetProperty("silos").EnumerateArray().ToList();
            Assert.Equal<string>(["silo1", "silo2", "silo3"], list.Select(s => s.GetProperty("name").GetString()!).Order().ToArray());
            Assert.All(list, s => Assert.Equal("up", s.GetProperty("status").GetString()));

            var (putCode, _, putErr) = await Dynamo("put", "shared", "value", "--endpoint", $"http://127.0.0.1:{ports[2]}");
            Assert.True(putCode == 0, putErr);
            var (getCode, getOut, getErr) = await Dynamo("get", "shared", "--json", "--r", "3", "--endpoint", $"http://127.0.0.1:{ports[0]}");
            Assert.True(getCode == 0, getErr);
            Assert.Equal("value", JsonDocument.Parse(getOut).RootElement.GetProperty("siblings")[0].GetProperty("value").GetString());
        }
        catch
        {
            for (int i = 0; i < silos.Count; i++) output.WriteLine($"===== silo{i + 1} =====\n{silos[i].Tail(60)}");
            throw;
        }
        finally
        {
            foreach (var s in silos) await s.DisposeAsync();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_silo_with_invalid_settings_refuses_to_start_naming_the_field()
    {
        var (code, _, stderr) = await ChildProcess.RunAsync(RepoPaths.SiloDll, RepoPaths.Root, CliTimeout,
            "--config", "silo-config/dev.json", "--Silo:PartitionCount=1000", "--Silo:GrpcPort=70000");
        Assert.Equal(2, code);
        Assert.Contains("Silo:PartitionCount", stderr);
        Assert.Contains("Silo:GrpcPort", stderr);
    }
}
