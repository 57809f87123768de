using System.CommandLine;
using System.Text;
using System.Text.Json;
using OrleansDynamo.Cli;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Two silos (16 partitions, default bucket N=2 R=2 W=2) for the CLI tests. Hints wait ten minutes and anti-entropy
/// runs only when `dynamo repair` asks, so a replica left behind stays behind until the test repairs it.
/// </summary>
public sealed class CliClusterFixture : IAsyncLifetime
{
    public const int Partitions = 16;

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        Silos = 2,
        PartitionCount = Partitions,
        N = 2,
        R = 2,
        W = 2,
        Configure = (_, o) =>
        {
            o.Hints.DeliveryIntervalMs = 600_000;
            o.AntiEntropy.ExchangeIntervalMs = 600_000;
            o.AntiEntropy.RetryIntervalMs = 300;
            o.AntiEntropy.TickIntervalMs = 100;
            o.AntiEntropy.BuildKeysPerSecond = 500_000;
        },
    });

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}

/// <summary>
/// Issue 17, "What operators and users see", the CLI cases: each runs `dynamo` in this process (CliRunner with a
/// console on buffers) against two in-process silos and checks stdout, stderr and the exit code.
/// </summary>
public sealed class CliUserCasesTests(CliClusterFixture fixture, ITestOutputHelper output) : IClassFixture<CliClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(30);

    /// <summary>What one run printed and returned.</summary>
    private sealed record CliRun(int Code, byte[] StdoutBytes, string Stderr)
    {
        public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

        public string[] StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        public JsonElement Json => JsonDocument.Parse(StdoutBytes).RootElement;

        public override string ToString() => $"exit {Code}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs <c>dynamo ARGS --endpoint silo0,silo1</c> in this process (verbs that talk to one silo talk to silo0).</summary>
    private Task<CliRun> DynamoAsync(params string[] args) => DynamoWithStdinAsync(null, args);

    private async Task<CliRun> DynamoWithStdinAsync(byte[]? stdin, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var input = stdin is null ? null : new MemoryStream(stdin);
        var io = CliConsole.ForStreams(stdout, stderr, input);
        string endpoints = string.Join(",", Cluster.Silos.Select(s => s.GrpcAddress));
        using var timeout = new CancellationTokenSource(CliTimeout);
        int code = await CliRunner.RunAsync([.. args, "--endpoint", endpoints], io, timeout.Token).WaitAsync(CliTimeout + TimeSpan.FromSeconds(5));
        var run = new CliRun(code, stdout.ToArray(), Encoding.UTF8.GetString(stderr.ToArray()));
        output.WriteLine($"$ dynamo {string.Join(' ', args)}\n{run}");
        return run;
    }

    /// <summary>
    /// Runs <c>dynamo bucket create NAME ...</c> and waits until both silos know the bucket (a bucket reaches the other
    /// silos by gossip; a write routed to one that has not heard of it yet is refused as an unknown bucket).
    /// </summary>
    private async Task<CliRun> CreateBucketAsync(string name, params string[] settings)
    {
        var run = await DynamoAsync(["bucket", "create", name, .. settings]);
        if (run.Code == 0)
        {
            await TestCluster.WaitUntilAsync(() => Task.FromResult(Cluster.Running.All(s => s.Runtime.Membership.State.Buckets.ContainsKey(name))),
                TimeSpan.FromSeconds(10), $"every silo to know bucket {name}");
        }
        return run;
    }

    /// <summary>An error: exit code 2, nothing on stdout, one line on stderr starting "error: ".</summary>
    private static string AssertError(CliRun run)
    {
        Assert.True(run.Code == 2, run.ToString());
        Assert.Equal("", run.Stdout);
        string line = Assert.Single(run.StderrLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        return line;
    }

    /// <summary>The cells of the table row whose first cell is <paramref name="first"/>.</summary>
    private static string[] Row(CliRun run, string first)
    {
        foreach (var line in run.StdoutLines)
        {
            var cells = line.Split('│', StringSplitOptions.TrimEntries);
            if (cells.Length > 2 && cells[1] == first) return cells[1..^1];
        }
        throw new Xunit.Sdk.XunitException($"no table row starts with '{first}':\n{run.Stdout}");
    }

    // `dynamo status` printed 0 in its Replicas column (fixed before this branch, df36372); the CLI shows what the silos count.
    [Fact]
    public async Task Status_shows_each_silos_partition_replicas()
    {
        var text = await DynamoAsync("status");
        Assert.Equal(0, text.Code);
        var json = await DynamoAsync("status", "--json");
        Assert.Equal(0, json.Code);
        int owned = 0;
        foreach (var silo in json.Json.GetProperty("silos").EnumerateArray())
        {
            string name = silo.GetProperty("name").GetString()!;
            // N=2 on two silos: each holds a replica of every partition, though it owns only half of them.
            Assert.Equal(CliClusterFixture.Partitions, silo.GetProperty("replicas").GetInt32());
            owned += silo.GetProperty("partitions").GetInt32();
            var row = Row(text, name);
            Assert.Equal(silo.GetProperty("partitions").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), row[4]);
            Assert.Equal(CliClusterFixture.Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture), row[5]);
        }
        Assert.Equal(CliClusterFixture.Partitions, owned);

        // issue 17: the answering silo's process, in the text and in the JSON
        var process = json.Json.GetProperty("process");
        Assert.Equal(Silo.Diagnostics.SiloVersion.Current, process.GetProperty("version").GetString());
        Assert.True(process.GetProperty("uptimeSeconds").GetDouble() > 0);
        Assert.True(process.GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.True(process.GetProperty("processorCount").GetInt32() > 0);
        Assert.Contains("version " + Silo.Diagnostics.SiloVersion.Current + ", up ", text.Stdout);
        Assert.Contains("GC heap", text.Stdout);
    }

    [Fact]
    public async Task A_bucket_with_N_above_the_silo_count_is_created_with_a_warning_on_stderr()
    {
        var run = await CreateBucketAsync("wide3", "--n", "3", "--r", "1", "--w", "1");
        Assert.True(run.Code == 0, run.ToString());
        Assert.Contains("bucket wide3: N=3", run.Stdout);
        string warning = Assert.Single(run.StderrLines);
        Assert.StartsWith("warning: ", warning, StringComparison.Ordinal);
        Assert.Contains("N=3", warning);
        Assert.Contains("2 silos", warning);

        // A bucket that fits the cluster: no warning.
        var fits = await CreateBucketAsync("fits2", "--n", "2", "--r", "1", "--w", "1");
        Assert.True(fits.Code == 0, fits.ToString());
        Assert.Equal("", fits.Stderr);
    }

    [Fact]
    public async Task A_put_asking_for_more_acknowledgements_than_there_are_silos_succeeds_with_a_warning_and_the_real_count()
    {
        Assert.Equal(0, (await CreateBucketAsync("wide", "--n", "3", "--r", "1", "--w", "1")).Code);

        var run = await DynamoAsync("put", "w3-key", "hello", "--bucket", "wide", "--w", "3");
        Assert.True(run.Code == 0, run.ToString());
        Assert.Contains("stored wide/w3-key (5 bytes), acknowledged by 2 replicas", run.Stdout);
        string warning = Assert.Single(run.StderrLines);
        Assert.StartsWith("warning: ", warning, StringComparison.Ordinal);
        Assert.Contains("W=3", warning);
        Assert.Contains("2 replicas", warning);

        var json = await DynamoAsync("put", "w3-key", "again", "--bucket", "wide", "--w", "3", "--json");
        Assert.True(json.Code == 0, json.ToString());
        Assert.Equal(2, json.Json.GetProperty("replicasAcked").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.Json.GetProperty("context").GetString()));
        Assert.StartsWith("warning: ", Assert.Single(json.StderrLines), StringComparison.Ordinal);

        // The default bucket (N=2, W=2) on two silos: both acknowledge, nothing to warn about.
        var plain = await DynamoAsync("put", "w2-key", "hello");
        Assert.True(plain.Code == 0, plain.ToString());
        Assert.Contains("acknowledged by 2 replicas", plain.Stdout);
        Assert.Equal("", plain.Stderr);
    }

    private static readonly byte[] Binary = [0xff, 0xfe, 0x00, 0x01, 0x80];

    [Fact]
    public async Task A_value_that_is_not_UTF8_text_prints_as_base64_and_json_names_each_encoding()
    {
        Assert.Equal(0, (await DynamoWithStdinAsync(Binary, "put", "bin-key", "-")).Code);
        Assert.Equal(0, (await DynamoAsync("put", "text-key", "héllo wörld")).Code);

        var text = await DynamoAsync("get", "bin-key");
        Assert.True(text.Code == 0, text.ToString());
        Assert.DoesNotContain('\uFFFD', text.Stdout);
        Assert.Equal(Convert.ToBase64String(Binary), text.StdoutLines[0]);
        Assert.Contains("encoding: base64", text.Stdout);

        var json = await DynamoAsync("get", "bin-key", "--json");
        Assert.True(json.Code == 0, json.ToString());
        var sibling = Assert.Single(json.Json.GetProperty("siblings").EnumerateArray().ToList());
        Assert.Equal("base64", sibling.GetProperty("encoding").GetString());
        Assert.Equal(Binary, Convert.FromBase64String(sibling.GetProperty("value").GetString()!));

        var utf8 = await DynamoAsync("get", "text-key", "--json");
        sibling = Assert.Single(utf8.Json.GetProperty("siblings").EnumerateArray().ToList());
        Assert.Equal("utf-8", sibling.GetProperty("encoding").GetString());
        Assert.Equal("héllo wörld", sibling.GetProperty("value").GetString());
        var utf8Text = await DynamoAsync("get", "text-key");
        Assert.Equal("héllo wörld", utf8Text.StdoutLines[0]);
        Assert.DoesNotContain("encoding", utf8Text.Stdout);

        // --replicas shows the stores' copies the same way.
        var replicas = await DynamoAsync("get", "bin-key", "--replicas", "--json");
        foreach (var replica in replicas.Json.GetProperty("replicas").EnumerateArray())
        {
            var held = Assert.Single(replica.GetProperty("siblings").EnumerateArray().ToList());
            Assert.Equal("base64", held.GetProperty("encoding").GetString());
        }
    }

    [Fact]
    public async Task Put_keeps_a_content_type_get_shows_it_and_a_bad_one_is_refused()
    {
        var put = await DynamoAsync("put", "typed-key", "{\"a\":1}", "--content-type", "application/json");
        Assert.True(put.Code == 0, put.ToString());
        var json = await DynamoAsync("get", "typed-key", "--json");
        var sibling = Assert.Single(json.Json.GetProperty("siblings").EnumerateArray().ToList());
        Assert.Equal(("{\"a\":1}", "application/json"), (sibling.GetProperty("value").GetString(), sibling.GetProperty("contentType").GetString()));
        Assert.Contains("content type: application/json", (await DynamoAsync("get", "typed-key")).StdoutLines);
        foreach (var replica in (await DynamoAsync("get", "typed-key", "--replicas", "--json")).Json.GetProperty("replicas").EnumerateArray())
            Assert.Equal("application/json", Assert.Single(replica.GetProperty("siblings").EnumerateArray().ToList()).GetProperty("contentType").GetString());

        // A blind put without a type is a sibling without one: the list shows each version's own.
        Assert.Equal(0, (await DynamoAsync("put", "typed-key", "plain")).Code);
        var both = await DynamoAsync("get", "typed-key", "--json");
        Assert.Equal([JsonValueKind.String, JsonValueKind.Null],
            both.Json.GetProperty("siblings").EnumerateArray().OrderBy(s => s.GetProperty("value").GetString() == "plain").Select(s => s.GetProperty("contentType").ValueKind));
        var lines = (await DynamoAsync("get", "typed-key")).StdoutLines;
        Assert.Contains(lines, l => l.StartsWith('[') && l.EndsWith("] {\"a\":1} (application/json)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith('[') && l.EndsWith("] plain", StringComparison.Ordinal));

        string error = AssertError(await DynamoAsync("put", "badtype-key", "x", "--content-type", "json"));
        Assert.Contains("content type 'json' is not a media type", error);
        Assert.Equal(1, (await DynamoAsync("get", "badtype-key")).Code);
    }

    [Fact]
    public async Task Get_raw_writes_the_bytes_as_they_are_and_refuses_several_siblings()
    {
        Assert.Equal(0, (await DynamoWithStdinAsync(Binary, "put", "raw-key", "-")).Code);
        var raw = await DynamoAsync("get", "raw-key", "--raw");
        Assert.True(raw.Code == 0, raw.ToString());
        Assert.Equal(Binary, raw.StdoutBytes);
        Assert.Equal("", raw.Stderr);

        // Two blind writes are concurrent: two siblings, and --raw cannot pick one.
        Assert.Equal(0, (await DynamoAsync("put", "raw-siblings", "one")).Code);
        Assert.Equal(0, (await DynamoAsync("put", "raw-siblings", "two")).Code);
        string error = AssertError(await DynamoAsync("get", "raw-siblings", "--raw"));
        Assert.Contains("2 concurrent versions", error);
        Assert.Contains("--raw", error);

        var missing = await DynamoAsync("get", "raw-missing", "--raw");
        Assert.True(missing.Code == 1, missing.ToString());
        Assert.Equal("", missing.Stdout);
        Assert.Contains("not found", Assert.Single(missing.StderrLines));
    }

    [Fact]
    public async Task Bucket_list_and_show_print_the_buckets_and_changing_one_needs_force()
    {
        Assert.Equal(0, (await CreateBucketAsync("listed", "--n", "2", "--r", "1", "--w", "2")).Code);

        var list = await DynamoAsync("bucket", "list");
        Assert.True(list.Code == 0, list.ToString());
        Assert.Equal(["default", "2", "2", "2"], Row(list, "default")[..4]);
        Assert.Equal(["listed", "2", "1", "2"], Row(list, "listed")[..4]);
        var listJson = await DynamoAsync("bucket", "list", "--json");
        var listed = listJson.Json.GetProperty("buckets").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "listed");
        Assert.Equal(1, listed.GetProperty("r").GetInt32());

        var show = await DynamoAsync("bucket", "show", "listed");
        Assert.True(show.Code == 0, show.ToString());
        Assert.Contains("bucket listed: N=2 R=1 W=2", show.Stdout);
        var showJson = await DynamoAsync("bucket", "show", "listed", "--json");
        Assert.Equal(2, showJson.Json.GetProperty("w").GetInt32());
        Assert.Equal("siblings", showJson.Json.GetProperty("policy").GetString());

        var missing = await DynamoAsync("bucket", "show", "no-such-bucket");
        Assert.True(missing.Code == 1, missing.ToString());
        Assert.Contains("not found: bucket no-such-bucket", missing.Stdout);

        // Changing N needs --force, and the help says so.
        string refused = AssertError(await DynamoAsync("bucket", "create", "listed", "--n", "1", "--r", "1", "--w", "1"));
        Assert.Contains("force", refused);
        Assert.Contains("--force", (await DynamoAsync("bucket", "create", "--help")).Stdout);
        var forced = await DynamoAsync("bucket", "create", "listed", "--n", "1", "--r", "1", "--w", "1", "--force");
        Assert.True(forced.Code == 0, forced.ToString());
    }

    [Fact]
    public async Task Counter_set_and_map_verbs_print_values_and_json_and_the_wrong_kind_of_request_is_refused()
    {
        Assert.Equal(0, (await CreateBucketAsync("cli-likes", "--type", "counter")).Code);
        Assert.Equal(0, (await CreateBucketAsync("cli-carts", "--type", "set")).Code);
        Assert.Equal(0, (await CreateBucketAsync("cli-profiles", "--type", "map")).Code);

        var missing = await DynamoAsync("counter", "get", "post", "--bucket", "cli-likes");
        Assert.True(missing.Code == 1, missing.ToString());
        Assert.Contains("not found: cli-likes/post", missing.Stdout);
        var incr = await DynamoAsync("counter", "incr", "post", "--bucket", "cli-likes");
        Assert.True(incr.Code == 0, incr.ToString());
        Assert.Equal("1", incr.StdoutLines[0]);
        var json = await DynamoAsync("counter", "incr", "post", "5", "--bucket", "cli-likes", "--json");
        Assert.Equal(6, json.Json.GetProperty("value").GetInt64());
        Assert.Equal("counter", json.Json.GetProperty("type").GetString());
        Assert.Equal("4", (await DynamoAsync("counter", "incr", "post", "-2", "--bucket", "cli-likes")).StdoutLines[0]);
        Assert.Equal("4", (await DynamoAsync("counter", "get", "post", "--bucket", "cli-likes")).StdoutLines[0]);

        var added = await DynamoAsync("set", "add", "cart", "book", "lamp", "--bucket", "cli-carts");
        Assert.True(added.Code == 0, added.ToString());
        Assert.Equal(["book", "lamp"], added.StdoutLines[..2]);
        var read = await DynamoAsync("set", "get", "cart", "--bucket", "cli-carts", "--json");
        Assert.Equal(["book", "lamp"], read.Json.GetProperty("value").EnumerateArray().Select(e => e.GetString()!).ToArray());
        string context = read.Json.GetProperty("context").GetString()!;
        Assert.Equal("lamp", (await DynamoAsync("set", "remove", "cart", "book", "--bucket", "cli-carts", "--context", context)).StdoutLines[0]);
        var emptied = await DynamoAsync("set", "remove", "cart", "lamp", "--bucket", "cli-carts");
        Assert.True(emptied.Code == 0, emptied.ToString());
        Assert.Equal("(no members)", emptied.StdoutLines[0]);
        Assert.Equal(1, (await DynamoAsync("set", "get", "cart", "--bucket", "cli-carts")).Code);

        var updated = await DynamoAsync("map", "update", "ada", "--bucket", "cli-profiles", "--counter", "visits=2", "--set-add", "tags=new",
            "--register", "name=Ada", "--flag", "vip=on", "--register", "address.city=Paris");
        Assert.True(updated.Code == 0, updated.ToString());
        var map = (await DynamoAsync("map", "get", "ada", "--bucket", "cli-profiles", "--json")).Json.GetProperty("value");
        Assert.Equal(2, map.GetProperty("visits_counter").GetInt32());
        Assert.Equal("new", map.GetProperty("tags_set")[0].GetString());
        Assert.Equal("Ada", map.GetProperty("name_register").GetString());
        Assert.True(map.GetProperty("vip_flag").GetBoolean());
        Assert.Equal("Paris", map.GetProperty("address_map").GetProperty("city_register").GetString());
        var text = await DynamoAsync("map", "get", "ada", "--bucket", "cli-profiles");
        Assert.Contains("name (register): Ada", text.StdoutLines);
        Assert.Contains("  city (register): Paris", text.StdoutLines);
        var removed = await DynamoAsync("map", "update", "ada", "--bucket", "cli-profiles", "--remove", "tags=set", "--flag", "vip=off");
        Assert.True(removed.Code == 0, removed.ToString());
        Assert.DoesNotContain(removed.StdoutLines, l => l.StartsWith("tags", StringComparison.Ordinal) || l.StartsWith("vip", StringComparison.Ordinal));

        Assert.Contains("is a key-value bucket", AssertError(await DynamoAsync("counter", "incr", "post")));
        Assert.Contains("bucket 'cli-likes' holds counters", AssertError(await DynamoAsync("put", "post", "x", "--bucket", "cli-likes")));
        Assert.Contains("bucket 'cli-likes' holds counters; a set operation", AssertError(await DynamoAsync("set", "add", "post", "x", "--bucket", "cli-likes")));
        Assert.Contains("fixed at creation", AssertError(await DynamoAsync("bucket", "create", "cli-likes", "--type", "set", "--force")));
        Assert.Contains("type=counter policy=merge", (await DynamoAsync("bucket", "show", "cli-likes")).Stdout);
        var listed = (await DynamoAsync("bucket", "list", "--json")).Json.GetProperty("buckets").EnumerateArray().Single(b => b.GetProperty("name").GetString() == "cli-carts");
        Assert.Equal("set", listed.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_mistyped_verb_or_option_suggests_the_nearest_one()
    {
        string line = AssertError(await DynamoAsync("staus"));
        Assert.Contains("did you mean 'status'?", line);
        line = AssertError(await DynamoAsync("repiar"));
        Assert.Contains("did you mean 'repair'?", line);
        line = AssertError(await DynamoAsync("bucket", "lst"));
        Assert.Contains("did you mean 'bucket list'?", line);
        line = AssertError(await DynamoAsync("get", "some-key", "--jsno"));
        Assert.Contains("did you mean '--json'?", line);
        // Nothing near: the verbs are listed instead.
        line = AssertError(await DynamoAsync("frobnicate"));
        Assert.DoesNotContain("did you mean", line);
        Assert.Contains("status", line);
    }

    [Fact]
    public async Task A_missing_argument_is_named_and_points_at_the_verbs_help()
    {
        string line = AssertError(await DynamoAsync("get"));
        Assert.Contains("KEY", line);
        Assert.Contains("dynamo get --help", line);
        line = AssertError(await DynamoAsync("put", "only-a-key"));
        Assert.Contains("VALUE", line);
        Assert.DoesNotContain("KEY", line);
        Assert.Contains("dynamo put --help", line);
        line = AssertError(await DynamoAsync("bucket", "show"));
        Assert.Contains("NAME", line);
        Assert.Contains("dynamo bucket show --help", line);
        line = AssertError(await DynamoAsync("join"));
        Assert.Contains("--seed", line);
        Assert.Contains("dynamo join --help", line);
    }

    [Fact]
    public async Task Every_verbs_help_prints_each_default_once_and_spells_the_endpoint_option_one_way()
    {
        var verbs = new List<string[]>();
        void Walk(Command command, string[] path)
        {
            verbs.Add(path);
            foreach (var sub in command.Subcommands) Walk(sub, [.. path, sub.Name]);
        }
        Walk(DynamoCommand.Create(CliConsole.ForStreams(Stream.Null, Stream.Null)), []);
        Assert.True(verbs.Count > 12, "the command tree was not walked");

        foreach (var path in verbs)
        {
            var help = await DynamoAsync([.. path, "--help"]);
            Assert.True(help.Code == 0, help.ToString());
            foreach (var line in help.StdoutLines)
            {
                Assert.False(line.Contains("(default", StringComparison.Ordinal) && line.Contains("[default:", StringComparison.Ordinal),
                    $"dynamo {string.Join(' ', path)} --help prints a default twice: {line.Trim()}");
            }
            Assert.Contains("-e, --endpoint <endpoint>", help.Stdout);
            Assert.DoesNotContain("--endpoints", help.Stdout);
        }

        // dynamo bench takes the same --endpoint as every verb.
        var settings = OrleansDynamo.Cli.Commands.BenchCommand.ParseSettings("--endpoint", "http://127.0.0.1:1,127.0.0.1:2");
        Assert.Equal(["http://127.0.0.1:1", "http://127.0.0.1:2"], settings.Endpoints);
        settings = OrleansDynamo.Cli.Commands.BenchCommand.ParseSettings("--target", "etcd");
        Assert.Equal([OrleansDynamo.Cli.Commands.BenchCommand.DefaultEtcdEndpoint], settings.Endpoints);
    }

    [Fact]
    public async Task Delete_of_a_missing_key_says_so_with_exit_code_1()
    {
        var run = await DynamoAsync("delete", "never-written");
        Assert.True(run.Code == 1, run.ToString());
        Assert.Equal("not found: default/never-written", Assert.Single(run.StdoutLines));
        var json = await DynamoAsync("delete", "never-written", "--json");
        Assert.True(json.Code == 1, json.ToString());
        Assert.False(json.Json.GetProperty("found").GetBoolean());

        // A key that exists is deleted (what was read is superseded) and then is missing.
        Assert.Equal(0, (await DynamoAsync("put", "doomed", "v")).Code);
        var deleted = await DynamoAsync("delete", "doomed");
        Assert.True(deleted.Code == 0, deleted.ToString());
        Assert.Contains("deleted default/doomed", deleted.Stdout);
        Assert.Equal(1, (await DynamoAsync("get", "doomed")).Code);
        Assert.Equal(1, (await DynamoAsync("delete", "doomed")).Code);
    }

    [Fact]
    public async Task Repair_prints_what_it_compared_and_what_it_repaired()
    {
        // dynamo repair runs on the first --endpoint: silo0.
        int partition = await LeaveOneReplicaBehindAsync("behind-json");
        JsonElement report = default;
        await TestCluster.WaitUntilAsync(async () =>
        {
            var run = await DynamoAsync("repair", "--json");
            Assert.True(run.Code == 0, run.ToString());
            report = run.Json;
            return report.GetProperty("keysRepaired").GetInt32() >= 1;
        }, TimeSpan.FromSeconds(20), "dynamo repair --json to repair the key left behind");
        Assert.Equal("silo0", report.GetProperty("silo").GetString());
        var exchanges = report.GetProperty("exchanges").EnumerateArray().ToList();
        Assert.Equal(exchanges.Count, report.GetProperty("compared").GetInt32() + report.GetProperty("notRun").GetInt32());
        var repaired = Assert.Single(exchanges, e => e.GetProperty("outcome").GetString() == "repaired");
        Assert.Equal(partition, repaired.GetProperty("partition").GetInt32());
        Assert.Equal("silo1", repaired.GetProperty("peer").GetString());
        Assert.Equal(1, repaired.GetProperty("keysRepaired").GetInt32());
        var peer = Assert.Single(report.GetProperty("peers").EnumerateArray().ToList());
        Assert.Equal("silo1", peer.GetProperty("peer").GetString());
        Assert.Equal(1, peer.GetProperty("repaired").GetInt32());

        partition = await LeaveOneReplicaBehindAsync("behind-text");
        CliRun text = null!;
        await TestCluster.WaitUntilAsync(async () =>
        {
            text = await DynamoAsync("repair");
            Assert.True(text.Code == 0, text.ToString());
            return text.Stdout.Contains("1 key repaired", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "dynamo repair to repair the key left behind");
        Assert.StartsWith("repair on silo0: compared ", text.StdoutLines[0], StringComparison.Ordinal);
        var byPeer = Row(text, "silo1");
        Assert.Equal("1", byPeer[3]); // Repaired
        var byPartition = Row(text, partition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("silo1", byPartition[2]); // Peer
        Assert.Equal("1", byPartition[4]); // Keys repaired

        // Nothing behind any more: every exchange that ran found its replicas in sync.
        var quiet = await DynamoAsync("repair", "--json");
        Assert.Equal(0, quiet.Json.GetProperty("keysRepaired").GetInt32());
    }

    [Fact]
    public async Task Repair_on_a_terminal_shows_its_progress_while_it_runs_then_the_summary()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var bytes = new MemoryStream();
        var terminal = new CliConsole(stdout, stderr, bytes, () => Stream.Null, outputRedirected: false);
        string endpoints = string.Join(",", Cluster.Silos.Select(s => s.GrpcAddress));
        using var timeout = new CancellationTokenSource(CliTimeout);
        int code = await CliRunner.RunAsync(["repair", "--endpoint", endpoints], terminal, timeout.Token);
        output.WriteLine($"$ dynamo repair (terminal)\nexit {code}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.True(code == 0, stderr.ToString());
        string text = stdout.ToString();
        int progress = text.IndexOf("repairing on " + Cluster[0].GrpcAddress, StringComparison.Ordinal);
        int summary = text.IndexOf("repair on silo0: compared ", StringComparison.Ordinal);
        Assert.True(progress >= 0 && summary > progress, "no progress line before the summary:\n" + text);
    }

    /// <summary>
    /// Writes <paramref name="key"/> while the silos cannot reach each other (W=1), drops the hint, heals the link: one
    /// replica holds the key, the other does not. Returns the key's partition.
    /// </summary>
    private async Task<int> LeaveOneReplicaBehindAsync(string key)
    {
        // Every tree built and compared once first: an exchange that cannot run yet (a peer still building its tree)
        // is retried by the silo within a second, and that retry, not the test's `dynamo repair`, would repair the key.
        await TestCluster.WaitUntilAsync(async () =>
        {
            var run = await DynamoAsync("repair", "--json");
            return run.Code == 0 && run.Json.GetProperty("stillRunning").GetInt32() == 0 && run.Json.GetProperty("exchanges").EnumerateArray()
                .All(e => e.GetProperty("outcome").GetString() is "in-sync" or "repaired" || e.GetProperty("detail").GetString() == "N is 1");
        }, TimeSpan.FromSeconds(20), "every Merkle tree to be built and compared");
        Cluster.Partition(["silo0"], ["silo1"]);
        try
        {
            var put = await DynamoAsync("put", key, "v", "--w", "1");
            Assert.True(put.Code == 0, put.ToString());
            await AntiEntropyTestKit.ClearHintsAsync(Cluster);
        }
        finally
        {
            Cluster.HealAll();
        }
        await TestCluster.WaitUntilAsync(() => Task.FromResult(
                Cluster[0].Runtime.Detector.IsReachable("silo1") && Cluster[1].Runtime.Detector.IsReachable("silo0")),
            TimeSpan.FromSeconds(10), "the silos to reach each other again");
        bool on0 = await Cluster.ReadStoreAsync("silo0", "default", key) is not null;
        bool on1 = await Cluster.ReadStoreAsync("silo1", "default", key) is not null;
        Assert.True(on0 != on1, $"{key} should be on one replica only (silo0: {on0}, silo1: {on1})");
        return new DynamoKey("default", key).Hash.Partition(CliClusterFixture.Partitions);
    }
}
