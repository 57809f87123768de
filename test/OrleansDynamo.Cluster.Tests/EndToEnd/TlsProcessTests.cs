using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Issue 15, as an operator would: `dynamo cert` makes the authority and certificates, a real silo process starts with
/// them (Silo:Tls), the CLI puts and gets with --cert/--key/--ca, and without them it gets a one-line error.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class TlsProcessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private static Task<(int Code, string Out, string Err)> Dynamo(params string[] args) => ChildProcess.RunAsync(RepoPaths.CliDll, RepoPaths.Root, CliTimeout, args);

    [Fact]
    public async Task A_silo_started_with_dynamo_cert_files_serves_the_cli_with_its_client_certificate_only()
    {
        var dir = Path.Combine(Path.GetTempPath(), "od-tls-" + Guid.NewGuid().ToString("N")[..8]);
        var certs = Path.Combine(dir, "certs");
        var (certCode, certOut, certErr) = await Dynamo("cert", "--out", certs, "--cluster", "dev", "--silo", "silo1", "--client", "app");
        output.WriteLine(certOut);
        Assert.True(certCode == 0, certErr);

        var ports = RepoPaths.FreePorts(4);
        string endpoint = $"https://127.0.0.1:{ports[0]}";
        await using var silo = ChildProcess.Start(RepoPaths.SiloDll, RepoPaths.Root,
            "--config", "silo-config/dev.json", $"--Silo:GrpcPort={ports[0]}", $"--Silo:HttpPort={ports[1]}",
            $"--Silo:SiloPort={ports[2]}", $"--Silo:GatewayPort={ports[3]}", $"--Silo:DataDirectory={Path.Combine(dir, "data")}",
            $"--Silo:SiloName=silo1", $"--Silo:Tls:CertificateFile={Path.Combine(certs, "silo1.pem")}",
            $"--Silo:Tls:KeyFile={Path.Combine(certs, "silo1.key")}", $"--Silo:Tls:AuthorityFile={Path.Combine(certs, "ca.pem")}");
        string[] tls = ["--cert", Path.Combine(certs, "app.pem"), "--key", Path.Combine(certs, "app.key"), "--ca", Path.Combine(certs, "ca.pem")];
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var (code, _, _) = await Dynamo(["status", "--endpoint", endpoint, .. tls]);
                if (code == 0) break;
                if (silo.HasExited) throw new InvalidOperationException("the silo exited: " + silo.Output);
                if (DateTime.UtcNow > deadline) throw new TimeoutException("silo not ready: " + silo.Tail(30));
                await Task.Delay(300);
            }

            var (putCode, _, putErr) = await Dynamo(["put", "k", "v", "--endpoint", endpoint, .. tls]);
            Assert.True(putCode == 0, putErr);
            var (getCode, getOut, getErr) = await Dynamo(["get", "k", "--json", "--endpoint", endpoint, .. tls]);
            Assert.True(getCode == 0, getErr);
            Assert.Equal("v", JsonDocument.Parse(getOut).RootElement.GetProperty("siblings")[0].GetProperty("value").GetString());

            // No certificate: one line on stderr, exit 2, nothing read.
            var (plainCode, _, plainErr) = await Dynamo("get", "k", "--endpoint", endpoint);
            Assert.Equal(2, plainCode);
            Assert.Single(plainErr.Trim().Split('\n'));
            Assert.StartsWith("error:", plainErr.Trim());
            // Half the TLS options: a clear error before any call.
            var (halfCode, _, halfErr) = await Dynamo("get", "k", "--endpoint", endpoint, "--cert", Path.Combine(certs, "app.pem"));
            Assert.Equal(2, halfCode);
            Assert.Contains("needs both --cert (with --key) and --ca", halfErr);
        }
        finally
        {
            await silo.DisposeAsync();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
