using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Issue 15, item 2, as an operator would: `dynamo apikey` makes a data key and an admin key, a real silo process
/// starts with their entries (Silo:Auth:Keys), and the CLI works with --api-key (or DYNAMO_API_KEY): without a key it
/// gets nothing, with the data key it puts and gets but cannot create a bucket, with the admin key it can.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class ApiKeyProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private static Task<(int Code, string Out, string Err)> Dynamo(params string[] args) => ChildProcess.RunAsync(RepoPaths.CliDll, RepoPaths.Root, CliTimeout, args);

    /// <summary>Runs `dynamo apikey` and returns the key and the silo arguments that admit it as key <paramref name="index"/>.</summary>
    private async Task<(string Key, string[] SiloArgs)> NewKeyAsync(string name, string role, int index)
    {
        var (code, stdout, stderr) = await Dynamo("apikey", "--name", name, "--role", role, "--json");
        Assert.True(code == 0, stderr);
        var root = JsonDocument.Parse(stdout).RootElement;
        var entry = root.GetProperty("entry");
        Assert.DoesNotContain(root.GetProperty("key").GetString()!, entry.GetRawText());
        string prefix = $"--Silo:Auth:Keys:{index}:";
        return (root.GetProperty("key").GetString()!,
            [$"{prefix}Name={entry.GetProperty("Name").GetString()}", $"{prefix}Role={entry.GetProperty("Role").GetString()}", $"{prefix}Sha256={entry.GetProperty("Sha256").GetString()}"]);
    }

    [Fact]
    public async Task The_cli_with_an_api_key_is_served_by_its_role_and_without_one_gets_nothing()
    {
        var (dataKey, dataArgs) = await NewKeyAsync("app", "data", 0);
        var (adminKey, adminArgs) = await NewKeyAsync("ops", "admin", 1);
        var ports = RepoPaths.FreePorts(4);
        var data = Path.Combine(Path.GetTempPath(), "od-apikey-" + Guid.NewGuid().ToString("N")[..8]);
        string endpoint = $"http://127.0.0.1:{ports[0]}";
        await using var silo = ChildProcess.Start(RepoPaths.SiloDll, RepoPaths.Root,
        [
            "--config", "silo-config/dev.json", $"--Silo:GrpcPort={ports[0]}", $"--Silo:HttpPort={ports[1]}",
            $"--Silo:SiloPort={ports[2]}", $"--Silo:GatewayPort={ports[3]}", $"--Silo:DataDirectory={data}", .. dataArgs, .. adminArgs,
        ]);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var (code, _, _) = await Dynamo("status", "--endpoint", endpoint, "--api-key", dataKey);
                if (code == 0) break;
                if (silo.HasExited) throw new InvalidOperationException("the silo exited: " + silo.Output);
                if (DateTime.UtcNow > deadline) throw new TimeoutException("silo not ready: " + silo.Tail(30));
                await Task.Delay(300);
            }

            var (putCode, _, putErr) = await Dynamo("put", "k", "v", "--endpoint", endpoint, "--api-key", dataKey);
            Assert.True(putCode == 0, putErr);
            var (getCode, getOut, getErr) = await Dynamo("get", "k", "--json", "--endpoint", endpoint, "--api-key", dataKey);
            Assert.True(getCode == 0, getErr);
            Assert.Equal("v", JsonDocument.Parse(getOut).RootElement.GetProperty("siblings")[0].GetProperty("value").GetString());

            // No key: one line on stderr, exit 2, nothing read or written.
            foreach (string[] args in new[] { new[] { "get", "k" }, new[] { "put", "k", "stolen" } })
            {
                var (code, _, err) = await Dynamo([.. args, "--endpoint", endpoint]);
                Assert.Equal(2, code);
                Assert.Single(err.Trim().Split('\n'));
                Assert.Contains("needs an API key", err);
            }

            // The data key cannot create a bucket; the admin key can, and changes its N only with --force.
            var (deniedCode, _, deniedErr) = await Dynamo("bucket", "create", "orders", "--n", "1", "--r", "1", "--w", "1", "--endpoint", endpoint, "--api-key", dataKey);
            Assert.Equal(2, deniedCode);
            Assert.Contains("bucket create needs the admin role", deniedErr);
            var (createCode, _, createErr) = await Dynamo("bucket", "create", "orders", "--n", "1", "--r", "1", "--w", "1", "--endpoint", endpoint, "--api-key", adminKey);
            Assert.True(createCode == 0, createErr);
            var (policyCode, _, policyErr) = await Dynamo("bucket", "create", "orders", "--n", "1", "--r", "1", "--w", "1", "--policy", "last-write-wins",
                "--endpoint", endpoint, "--api-key", adminKey);
            Assert.Equal(2, policyCode);
            Assert.Contains("policy siblings -> last-write-wins", policyErr);
            var (forceCode, forceOut, forceErr) = await Dynamo("bucket", "create", "orders", "--n", "1", "--r", "1", "--w", "1", "--policy", "last-write-wins", "--force",
                "--endpoint", endpoint, "--api-key", adminKey);
            Assert.True(forceCode == 0, forceErr);
            Assert.Contains("policy=last-write-wins", forceOut);

            // The admin action is in the silo's log with the key's name.
            await Eventually.UntilAsync("the admin action in the log", TimeSpan.FromSeconds(10),
                () => Task.FromResult(silo.Output.Contains("Admin bucket create by ops: bucket 'orders'") ? null : "not logged yet; the silo's last lines:\n" + silo.Tail(15)));
            output.WriteLine(silo.Tail(10));
        }
        finally
        {
            await silo.DisposeAsync();
            try { Directory.Delete(data, true); } catch (IOException) { }
        }
    }
}
