using System.Text;
using System.Text.Json;
using OrleansDynamo.Cluster.Tests.EndToEnd;
using OrleansDynamo.Protocol.Security;
using OrleansDynamo.Silo.Security;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.Rest;

/// <summary>
/// Two silos (N=2, R=1, W=2) that require API keys, with a small largest value (64 KiB) so an oversize body is cheap;
/// the buckets the REST tests use are created over REST with the admin key.
/// </summary>
public sealed class RestClusterFixture : IAsyncLifetime
{
    public const int MaxValueBytes = 64 * 1024;

    public string DataKey { get; } = ApiKeys.Generate();

    public string AdminKey { get; } = ApiKeys.Generate();

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(new TestClusterOptions
    {
        Silos = 2,
        PartitionCount = 16,
        N = 2,
        R = 1,
        W = 2,
        Configure = (_, o) =>
        {
            o.Limits.MaxValueBytes = MaxValueBytes;
            o.DefaultBucket.MaxValueBytes = MaxValueBytes;
            o.Auth = new AuthOptions
            {
                Keys =
                [
                    new ApiKeyOptions { Name = "app", Role = "data", Sha256 = ApiKeys.Hash(DataKey) },
                    new ApiKeyOptions { Name = "ops", Role = "admin", Sha256 = ApiKeys.Hash(AdminKey) },
                ],
            };
        },
    });

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();
}

/// <summary>The REST API tests and the sample's share one cluster.</summary>
[CollectionDefinition(Name)]
public sealed class RestCollection : ICollectionFixture<RestClusterFixture>
{
    public const string Name = "rest";
}

/// <summary>
/// Issue 19 item 4: the REST API driven by the <c>curl</c> binary and by a Python script using only <c>urllib</c>
/// (Rest/rest_client.py): put, get, siblings as 300 (JSON and multipart), delete, 404, r/w parameters, typed buckets,
/// props, error codes, an oversize body refused with 413, and API key refusals.
/// </summary>
[Collection(RestCollection.Name)]
public sealed class RestApiTests(RestClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(20);

    private TestCluster Cluster => fixture.Cluster;

    private string Base => Cluster[0].HttpAddress!;

    /// <summary>What curl got: the status, the headers (last response), the body.</summary>
    private sealed record Answer(int Status, Dictionary<string, string> Headers, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);

        public JsonElement Json => JsonDocument.Parse(Body).RootElement;

        public string Header(string name) => Headers.TryGetValue(name, out var v) ? v : throw new Xunit.Sdk.XunitException($"no header {name}: {string.Join(", ", Headers.Keys)}");

        public override string ToString() => $"{Status} {string.Join("; ", Headers.Select(h => h.Key + ": " + h.Value))}\n{Text}";
    }

    /// <summary>Runs <c>curl -sS -X METHOD URL ARGS</c> with the data key unless told otherwise.</summary>
    private async Task<Answer> Curl(string method, string path, string[]? args = null, string? key = "data", byte[]? body = null, int silo = 0)
    {
        string dir = Directory.CreateTempSubdirectory("rest-curl").FullName;
        try
        {
            string headers = Path.Combine(dir, "headers"), bodyFile = Path.Combine(dir, "body");
            var argv = new List<string> { "-sS", "-X", method, "-o", bodyFile, "-D", headers, "-w", "%{http_code}", "--max-time", "15" };
            string? token = key switch { "data" => fixture.DataKey, "admin" => fixture.AdminKey, null => null, _ => key };
            if (token is not null) argv.AddRange(["-H", "Authorization: Bearer " + token]);
            if (body is not null)
            {
                string input = Path.Combine(dir, "input");
                await File.WriteAllBytesAsync(input, body);
                argv.AddRange(["--data-binary", "@" + input]);
            }
            argv.AddRange(args ?? []);
            argv.Add(Cluster[silo].HttpAddress + path);
            var (code, stdout, stderr) = await RunAsync("curl", argv);
            Assert.True(code == 0, $"curl {string.Join(' ', argv)} exited {code}: {stderr}");
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in (await File.ReadAllTextAsync(headers)).Split("\r\n").Skip(1))
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0) map[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            var answer = new Answer(int.Parse(stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture), map,
                File.Exists(bodyFile) ? await File.ReadAllBytesAsync(bodyFile) : []);
            output.WriteLine($"$ curl -X {method} {path} {string.Join(' ', args ?? [])}\n{answer}");
            return answer;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Task<(int Code, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args) =>
        ChildProcess.RunProgramAsync(program, args, ProcessTimeout);

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Creates <paramref name="bucket"/> over REST with the admin key and waits until both silos know it.</summary>
    private async Task CreateBucketAsync(string bucket, string props)
    {
        var created = await Curl("PUT", $"/buckets/{bucket}/props", ["-H", "Content-Type: application/json"], "admin", Bytes(props));
        Assert.True(created.Status == 200, created.ToString());
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Cluster.Running.All(s => s.Runtime.Membership.State.Buckets.ContainsKey(bucket))),
            TimeSpan.FromSeconds(10), $"both silos to know bucket {bucket}");
    }

    [Fact]
    public async Task Curl_puts_gets_lists_siblings_as_300_and_deletes()
    {
        var put = await Curl("PUT", "/buckets/default/keys/fruit", ["-H", "Content-Type: text/plain"], body: Bytes("apple"));
        Assert.Equal(204, put.Status);
        string context = put.Header("X-Dynamo-Context");
        Assert.NotEmpty(Convert.FromBase64String(context));

        var get = await Curl("GET", "/buckets/default/keys/fruit?r=2");
        Assert.Equal(200, get.Status);
        Assert.Equal("apple", get.Text);
        Assert.Equal("text/plain", get.Header("Content-Type"));

        // Two puts without a context: siblings, listed as 300 with one context for both.
        Assert.Equal(204, (await Curl("PUT", "/buckets/default/keys/fruit", ["-H", "Content-Type: text/plain"], body: Bytes("pear"))).Status);
        var siblings = await Curl("GET", "/buckets/default/keys/fruit");
        Assert.True(siblings.Status == 300, siblings.ToString());
        var listed = siblings.Json.GetProperty("siblings").EnumerateArray().ToList();
        Assert.Equal(["apple", "pear"], listed.Select(s => s.GetProperty("value").GetString()).Order());
        Assert.All(listed, s => Assert.False(s.GetProperty("deleted").GetBoolean()));
        Assert.Equal(siblings.Header("X-Dynamo-Context"), siblings.Json.GetProperty("context").GetString());

        // Accept: multipart/mixed: every sibling as a part with its content type.
        var multipart = await Curl("GET", "/buckets/default/keys/fruit", ["-H", "Accept: multipart/mixed"]);
        Assert.Equal(300, multipart.Status);
        string boundary = multipart.Header("Content-Type").Split("boundary=")[1];
        var parts = multipart.Text.Split("--" + boundary).Skip(1).SkipLast(1).ToList();
        Assert.Equal(2, parts.Count);
        Assert.All(parts, p => Assert.Contains("Content-Type: text/plain\r\n", p, StringComparison.Ordinal));
        Assert.Equal(["apple", "pear"], parts.Select(p => p.Split("\r\n\r\n", 2)[1].TrimEnd('\r', '\n')).Order());

        // A put with the 300's context resolves them; w=2 as a query parameter.
        var resolved = await Curl("PUT", "/buckets/default/keys/fruit?w=2", ["-H", "X-Dynamo-Context: " + siblings.Header("X-Dynamo-Context")], body: Bytes("apple+pear"));
        Assert.Equal(204, resolved.Status);
        var after = await Curl("GET", "/buckets/default/keys/fruit");
        Assert.Equal((200, "apple+pear"), (after.Status, after.Text));

        var delete = await Curl("DELETE", "/buckets/default/keys/fruit", ["-H", "X-Dynamo-Context: " + after.Header("X-Dynamo-Context")]);
        Assert.Equal(204, delete.Status);
        var gone = await Curl("GET", "/buckets/default/keys/fruit");
        Assert.Equal(404, gone.Status);
        Assert.Equal("not_found", gone.Json.GetProperty("code").GetString());

        // Binary values come back byte for byte.
        byte[] binary = [0, 1, 2, 255, 254, 10, 13];
        Assert.Equal(204, (await Curl("PUT", "/buckets/default/keys/binary", body: binary)).Status);
        Assert.Equal(binary, (await Curl("GET", "/buckets/default/keys/binary")).Body);
    }

    [Fact]
    public async Task Curl_put_keeps_the_content_type_and_reads_answer_each_siblings_own()
    {
        var put = await Curl("PUT", "/buckets/default/keys/doc", ["-H", "Content-Type: application/json"], body: Bytes("""{"title": "Dynamo"}"""));
        Assert.Equal(204, put.Status);
        var get = await Curl("GET", "/buckets/default/keys/doc?r=2", silo: 1);
        Assert.Equal((200, """{"title": "Dynamo"}"""), (get.Status, get.Text));
        Assert.Equal("application/json", get.Header("Content-Type"));
        // Both replicas (N=2, W=2) store it with the value, in the sibling set.
        foreach (var silo in Cluster.Running)
            Assert.Equal("application/json", Assert.Single((await Cluster.ReadStoreAsync(silo.Name, "default", "doc"))!.Siblings).ContentType);

        // A concurrent put with another type: the 300 lists each sibling with its own, as does each multipart part.
        var other = await Curl("PUT", "/buckets/default/keys/doc", ["-H", "Content-Type: text/plain; charset=utf-8"], body: Bytes("Dynamo, as text"));
        Assert.Equal(204, other.Status);
        var siblings = await Curl("GET", "/buckets/default/keys/doc");
        Assert.True(siblings.Status == 300, siblings.ToString());
        var listed = siblings.Json.GetProperty("siblings").EnumerateArray()
            .ToDictionary(s => s.GetProperty("value").GetString()!, s => s.GetProperty("content_type").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["""{"title": "Dynamo"}"""] = "application/json", ["Dynamo, as text"] = "text/plain; charset=utf-8" }, listed);
        var multipart = await Curl("GET", "/buckets/default/keys/doc", ["-H", "Accept: multipart/mixed"]);
        Assert.Equal(300, multipart.Status);
        string boundary = multipart.Header("Content-Type").Split("boundary=")[1];
        var parts = multipart.Text.Split("--" + boundary).Skip(1).SkipLast(1)
            .ToDictionary(p => p.Split("\r\n\r\n", 2)[1].TrimEnd('\r', '\n'), p => p.Split("\r\n").Single(h => h.StartsWith("Content-Type: ", StringComparison.Ordinal)));
        Assert.Equal("Content-Type: application/json", parts["""{"title": "Dynamo"}"""]);
        Assert.Equal("Content-Type: text/plain; charset=utf-8", parts["Dynamo, as text"]);

        // The resolving put sets the type of what remains; a put with no Content-Type at all keeps none and reads as octets.
        var resolved = await Curl("PUT", "/buckets/default/keys/doc", ["-H", "Content-Type: application/xml", "-H", "X-Dynamo-Context: " + siblings.Header("X-Dynamo-Context")],
            body: Bytes("<title>Dynamo</title>"));
        Assert.Equal(204, resolved.Status);
        Assert.Equal("application/xml", (await Curl("GET", "/buckets/default/keys/doc")).Header("Content-Type"));
        Assert.Equal(204, (await Curl("PUT", "/buckets/default/keys/untyped", ["-H", "Content-Type:"], body: Bytes("bytes"))).Status);
        Assert.Equal("application/octet-stream", (await Curl("GET", "/buckets/default/keys/untyped")).Header("Content-Type"));
        Assert.Null(Assert.Single((await Cluster.ReadStoreAsync(Cluster[0].Name, "default", "untyped"))!.Siblings).ContentType);

        // A Content-Type that is not a media type is refused and nothing is written.
        foreach (var bad in new[] { "json", "text/plain,text/html", "text/" + new string('x', 251) })
        {
            var refused = await Curl("PUT", "/buckets/default/keys/badly-typed", ["-H", "Content-Type: " + bad], body: Bytes("v"));
            Assert.True((refused.Status, refused.Json.GetProperty("code").GetString()) == (400, "invalid_argument"), refused.ToString());
            Assert.Contains("content type", refused.Json.GetProperty("error").GetString());
        }
        Assert.Equal(404, (await Curl("GET", "/buckets/default/keys/badly-typed")).Status);
    }

    [Fact]
    public async Task Curl_drives_typed_buckets_and_props()
    {
        await CreateBucketAsync("rest-carts", """{"type": "set"}""");
        await CreateBucketAsync("rest-counters", """{"type": "counter", "n": 2, "r": 1, "w": 1}""");
        await CreateBucketAsync("rest-profiles", """{"type": "map"}""");

        var props = await Curl("GET", "/buckets/rest-counters/props");
        Assert.Equal(200, props.Status);
        Assert.Equal(("counter", 2, 1, 1), (props.Json.GetProperty("type").GetString(), props.Json.GetProperty("n").GetInt32(),
            props.Json.GetProperty("r").GetInt32(), props.Json.GetProperty("w").GetInt32()));
        var unknown = await Curl("GET", "/buckets/no-such-bucket/props");
        Assert.Equal((404, "not_found"), (unknown.Status, unknown.Json.GetProperty("code").GetString()));

        // A counter: an integer literal, at most 2^53 in size (the silo's bound), which every JSON parser reads exactly.
        var counted = await Curl("POST", "/types/rest-counters/keys/big", body: Bytes("""{"increment": 9007199254740992}"""));
        Assert.Equal(200, counted.Status);
        Assert.Contains("\"value\":9007199254740992,", counted.Text, StringComparison.Ordinal);
        var decremented = await Curl("POST", "/types/rest-counters/keys/big", body: Bytes("""{"decrement": 3}"""), silo: 1);
        Assert.Equal("silo1", decremented.Header("X-Dynamo-Coordinator"));
        Assert.Equal(9007199254740989L, decremented.Json.GetProperty("value").GetInt64());
        Assert.Equal(404, (await Curl("GET", "/types/rest-counters/keys/never")).Status);

        // A set: add, read with the context, remove what was read, delete.
        var added = await Curl("POST", "/types/rest-carts/keys/ann", ["-H", "Content-Type: application/json"], body: Bytes("""{"add": ["apple", "pear", "fig"]}"""));
        Assert.Equal(200, added.Status);
        var cart = await Curl("GET", "/types/rest-carts/keys/ann?r=2");
        Assert.Equal("set", cart.Json.GetProperty("type").GetString());
        Assert.Equal(["apple", "fig", "pear"], cart.Json.GetProperty("value").EnumerateArray().Select(e => e.GetString()).Order());
        var changed = await Curl("POST", "/types/rest-carts/keys/ann", ["-H", "X-Dynamo-Context: " + cart.Header("X-Dynamo-Context")],
            body: Bytes("""{"remove": ["pear"], "add": ["plum"]}"""));
        Assert.Equal(["apple", "fig", "plum"], changed.Json.GetProperty("value").EnumerateArray().Select(e => e.GetString()).Order());
        var deleted = await Curl("DELETE", "/types/rest-carts/keys/ann", ["-H", "X-Dynamo-Context: " + changed.Header("X-Dynamo-Context")]);
        Assert.Equal(204, deleted.Status);
        Assert.Equal(404, (await Curl("GET", "/types/rest-carts/keys/ann")).Status);

        // A map: fields named name_type, nested maps, removes.
        var profile = await Curl("POST", "/types/rest-profiles/keys/ann", body: Bytes("""
            {"update": {"visits_counter": 2, "tags_set": {"add": ["new"]}, "name_register": "Ann", "vip_flag": true,
                        "address_map": {"update": {"city_register": "Oslo"}}}}
            """));
        Assert.True(profile.Status == 200, profile.ToString());
        var value = profile.Json.GetProperty("value");
        Assert.Equal(2, value.GetProperty("visits_counter").GetInt32());
        Assert.Equal("Ann", value.GetProperty("name_register").GetString());
        Assert.True(value.GetProperty("vip_flag").GetBoolean());
        Assert.Equal("Oslo", value.GetProperty("address_map").GetProperty("city_register").GetString());
        var trimmed = await Curl("POST", "/types/rest-profiles/keys/ann", ["-H", "X-Dynamo-Context: " + profile.Header("X-Dynamo-Context")],
            body: Bytes("""{"remove": ["tags_set"], "update": {"visits_counter": {"increment": 1}}}"""));
        Assert.False(trimmed.Json.GetProperty("value").TryGetProperty("tags_set", out _), trimmed.ToString());
        Assert.Equal(3, trimmed.Json.GetProperty("value").GetProperty("visits_counter").GetInt32());

        // Errors with their codes: a bad operation, a typed route on a kv bucket, a kv route on a typed bucket.
        var bad = await Curl("POST", "/types/rest-profiles/keys/ann", body: Bytes("""{"update": {"visits": 1}}"""));
        Assert.Equal((400, "invalid_argument"), (bad.Status, bad.Json.GetProperty("code").GetString()));
        var notJson = await Curl("POST", "/types/rest-profiles/keys/ann", body: Bytes("{oops"));
        Assert.Equal((400, "invalid_argument"), (notJson.Status, notJson.Json.GetProperty("code").GetString()));
        var kvTyped = await Curl("POST", "/types/default/keys/ann", body: Bytes("""{"increment": 1}"""));
        Assert.Equal((409, "failed_precondition"), (kvTyped.Status, kvTyped.Json.GetProperty("code").GetString()));
        var typedKv = await Curl("PUT", "/buckets/rest-carts/keys/ann", body: Bytes("x"));
        Assert.Equal((409, "failed_precondition"), (typedKv.Status, typedKv.Json.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Curl_is_refused_without_a_key_with_a_data_key_on_props_and_over_the_size_limit()
    {
        var anonymous = await Curl("GET", "/buckets/default/keys/fruit", key: null);
        Assert.Equal((401, "unauthenticated"), (anonymous.Status, anonymous.Json.GetProperty("code").GetString()));
        Assert.Equal("Bearer", anonymous.Header("WWW-Authenticate"));
        var unknownKey = await Curl("PUT", "/buckets/default/keys/fruit", key: ApiKeys.Generate(), body: Bytes("x"));
        Assert.Equal(401, unknownKey.Status);
        var dataOnProps = await Curl("PUT", "/buckets/rest-denied/props", key: "data", body: Bytes("""{"type": "set"}"""));
        Assert.Equal((403, "permission_denied"), (dataOnProps.Status, dataOnProps.Json.GetProperty("code").GetString()));
        Assert.False(Cluster[0].Runtime.Membership.State.Buckets.ContainsKey("rest-denied"));

        // Above MaxRequestBytes (64 KiB of value + 68 KiB): 413 too_large, nothing written.
        var huge = new byte[RestClusterFixture.MaxValueBytes + Protocol.Limits.RequestSize.OverheadBytes + 1];
        var tooLarge = await Curl("PUT", "/buckets/default/keys/huge", body: huge);
        Assert.Equal((413, "too_large"), (tooLarge.Status, tooLarge.Json.GetProperty("code").GetString()));
        var chunked = await Curl("PUT", "/buckets/default/keys/huge", ["-H", "Transfer-Encoding: chunked"], body: huge);
        Assert.Equal((413, "too_large"), (chunked.Status, chunked.Json.GetProperty("code").GetString()));
        Assert.Equal(404, (await Curl("GET", "/buckets/default/keys/huge")).Status);
        // Within the request limit but above the value limit: the coordinator's check, as for the SDK.
        var overValue = await Curl("PUT", "/buckets/default/keys/huge", body: new byte[RestClusterFixture.MaxValueBytes + 1]);
        Assert.Equal((400, "invalid_argument"), (overValue.Status, overValue.Json.GetProperty("code").GetString()));

        var noKey = await Curl("GET", "/buckets/default/keys/");
        Assert.Equal((400, "invalid_argument"), (noKey.Status, noKey.Json.GetProperty("code").GetString()));
        var noRoute = await Curl("GET", "/buckets/default");
        Assert.Equal((404, "not_found"), (noRoute.Status, noRoute.Json.GetProperty("code").GetString()));
        var badQuorum = await Curl("GET", "/buckets/default/keys/fruit?r=many");
        Assert.Equal((400, "invalid_argument"), (badQuorum.Status, badQuorum.Json.GetProperty("code").GetString()));
        var tooMany = await Curl("GET", "/buckets/default/keys/fruit?r=5");
        Assert.Equal((400, "invalid_argument"), (tooMany.Status, tooMany.Json.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Python_urllib_drives_the_api()
    {
        await CreateBucketAsync("rest-py-sets", """{"type": "set"}""");
        string script = Path.Combine(RepoPaths.Root, "test", "OrleansDynamo.Cluster.Tests", "Rest", "rest_client.py");
        var (code, stdout, stderr) = await RunAsync("python3", [script, Base, fixture.DataKey, "default", "rest-py-sets"]);
        output.WriteLine(stdout + stderr);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("ok", stdout.Trim());
    }
}
