using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Membership;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Issue 15, item 6: a silo process that cannot start says why in one line (naming the port, file or setting),
/// exits non-zero, prints no stack trace, and records nothing as joined.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class StartupFailureTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "od-startup-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int[] _ports = RepoPaths.FreePorts(4);

    private string Data => Path.Combine(_dir, "data");

    private string[] Args(params string[] extra) =>
    [
        "--config", "silo-config/dev.json", $"--Silo:GrpcPort={_ports[0]}", $"--Silo:HttpPort={_ports[1]}",
        $"--Silo:SiloPort={_ports[2]}", $"--Silo:GatewayPort={_ports[3]}", $"--Silo:DataDirectory={Data}", .. extra,
    ];

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <summary>Starts the real silo with <paramref name="args"/> and checks it failed with one line naming every one of <paramref name="named"/>.</summary>
    private async Task<string> AssertRefused(int exitCode, string[] args, params string[] named)
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync(RepoPaths.SiloDll, RepoPaths.Root, Timeout, args);
        output.WriteLine($"exit {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        Assert.Equal(exitCode, code);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: ", line);
        foreach (var name in named) Assert.Contains(name, line);
        Assert.DoesNotContain("   at ", stdout + stderr);
        Assert.DoesNotContain(" fail: ", stdout);
        return line;
    }

    [Fact]
    public async Task A_grpc_port_in_use_is_named_and_nothing_is_recorded_as_joined()
    {
        using (var taken = new TcpListener(IPAddress.Loopback, _ports[0]))
        {
            taken.Start();
            await AssertRefused(2, Args(), $"Silo:GrpcPort {_ports[0]} on 127.0.0.1 is in use");
        }
        // Nothing was recorded: no data directory, or one without membership (StartupOrderTests covers a port taken
        // after the check, when the store is already open).
        Assert.Null(await StoredMembership(Data));
    }

    /// <summary>The membership history a data directory holds, or null (no directory, or none recorded).</summary>
    internal static async Task<byte[]?> StoredMembership(string dataDirectory)
    {
        if (!Directory.Exists(dataDirectory)) return null;
        await using var store = SiloHost.OpenStore(new SiloOptions { DataDirectory = dataDirectory });
        return await store.Metadata.GetAsync(MembershipManager.MetadataKey);
    }

    [Fact]
    public async Task An_orleans_port_in_use_is_named()
    {
        using var taken = new TcpListener(IPAddress.Loopback, _ports[2]);
        taken.Start();
        await AssertRefused(2, Args(), $"Silo:SiloPort {_ports[2]} on 127.0.0.1 is in use");
    }

    [Fact]
    public async Task A_host_name_that_is_not_an_address_or_not_of_this_machine_is_named()
    {
        await AssertRefused(2, Args("--Silo:Host=no-such-host.invalid"), "Silo:Host 'no-such-host.invalid' is not an IP address");
        // 192.0.2.0/24 is reserved for documentation: never an address of this machine.
        await AssertRefused(2, Args("--Silo:Host=192.0.2.7", "--Silo:Tls:AllowPlaintextOnNetwork=true"), "Silo:Host 192.0.2.7 is not an address of this machine");
    }

    [Fact]
    public async Task Malformed_config_json_or_a_mistyped_setting_names_the_file_or_setting()
    {
        Directory.CreateDirectory(_dir);
        string broken = Path.Combine(_dir, "broken.json");
        await File.WriteAllTextAsync(broken, "{ \"Silo\": {\n  \"GrpcPort\": 11111,,\n} }");
        await AssertRefused(2, ["--config", broken], $"'{broken}' is not valid JSON", "LineNumber: 1");

        string mistyped = Path.Combine(_dir, "mistyped.json");
        await File.WriteAllTextAsync(mistyped, "{ \"Silo\": { \"GrpcPort\": \"eleven\" } }");
        await AssertRefused(2, ["--config", mistyped], "'eleven' at 'Silo:GrpcPort'");
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_created_or_a_data_file_that_cannot_be_opened_is_named()
    {
        Directory.CreateDirectory(_dir);
        string file = Path.Combine(_dir, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        await AssertRefused(3, Args($"--Silo:DataDirectory={Path.Combine(file, "data")}"), $"data directory '{Path.Combine(file, "data")}' cannot be read or written");

        Directory.CreateDirectory(Path.Combine(Data, "silo.db"));
        await AssertRefused(3, Args(), $"data directory '{Data}' cannot be read or written");

        // Root may write anywhere but sysfs refuses everyone.
        if (OperatingSystem.IsLinux() && Directory.Exists("/sys/kernel"))
            await AssertRefused(3, Args("--Silo:DataDirectory=/sys/od-startup-test"), "data directory '/sys/od-startup-test' cannot be read or written");
    }

    [Fact]
    public async Task A_data_directory_of_the_other_storage_engine_is_refused_naming_the_engine_to_use()
    {
        var key = new Core.Keys.DynamoKey("default", "k");
        var log = new SiloOptions { DataDirectory = Data, StorageEngine = "log" };
        await using (var store = SiloHost.OpenStore(log))
            await store.WriteAsync(1, key, Core.Versioning.SiblingSet.Empty);
        await AssertRefused(3, Args(), "written by another storage engine", $"'{Path.GetFullPath(Data)}' holds the log engine's values", "Storage.Engine 'log'");
        // The refused start changed nothing: the log engine still finds the value.
        await using (var store = SiloHost.OpenStore(log))
            Assert.NotNull(await store.ReadAsync(1, key));
    }

    [Fact]
    public async Task A_data_file_emptied_where_the_silo_had_data_is_refused_naming_it()
    {
        await using (var store = SiloHost.OpenStore(new SiloOptions { DataDirectory = Data }))
            await store.Metadata.SetAsync("anything", [1]);
        string db = Path.Combine(Data, "silo.db");
        await File.WriteAllBytesAsync(db, []);
        await AssertRefused(3, Args(), $"'{db}'", "empty (0 bytes)");
        Assert.Equal(0, new FileInfo(db).Length);
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_in_the_database_is_refused_naming_the_file_and_column()
    {
        await using (var store = SiloHost.OpenStore(new SiloOptions { DataDirectory = Data }))
            await store.Metadata.SetAsync(MembershipManager.MetadataKey, [1, 2, 3]);
        string db = Path.Combine(Data, "silo.db");
        using (var connection = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE meta SET blob = 'not a blob' WHERE name = 'membership';";
            Assert.Equal(1, update.ExecuteNonQuery());
        }
        await AssertRefused(3, Args(), $"'{db}'", "metadata 'membership': column 'blob' holds text where a blob belongs");
    }
}
