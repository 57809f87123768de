using System.Net.Http.Json;
using System.Text.Json;
using OrleansDynamo.Cluster.Tests.EndToEnd;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.Rest;

/// <summary>
/// Issue 19 item 5: the shopping cart sample (samples/ShoppingCart, built with the solution) run as a process against
/// two in-process silos that require API keys: it creates its set bucket at start with the admin key, and its endpoints
/// add, list and remove items and empty a cart; the cart is the same one the REST API reads.
/// </summary>
[Collection(RestCollection.Name)]
public sealed class ShoppingCartSampleTests(RestClusterFixture fixture, ITestOutputHelper output)
{
    private const string Bucket = "sample-carts";

    /// <summary>The sample's build next to this test's (same configuration), e.g. samples/ShoppingCart/bin/Debug/net10.0.</summary>
    private static string SampleDll()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testBin.Parent!.Name, framework = testBin.Name;
        return Path.Combine(RepoPaths.Root, "samples", "ShoppingCart", "bin", configuration, framework, "ShoppingCart.dll");
    }

    [Fact]
    public async Task The_sample_keeps_carts_in_a_set_bucket()
    {
        string dll = SampleDll();
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution (the sample is part of it)");
        int port = RepoPaths.FreePorts(1)[0];
        await using var sample = ChildProcess.Start(dll, Path.GetDirectoryName(dll)!, new Dictionary<string, string>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Dynamo__Seeds__0"] = fixture.Cluster[0].GrpcAddress,
            ["Dynamo__ApiKey"] = fixture.AdminKey,
            ["Cart__Bucket"] = Bucket,
            ["Cart__N"] = "2",
            ["Cart__W"] = "2",
        });
        try
        {
            await Exercise(port);
        }
        finally
        {
            output.WriteLine(sample.Output);
        }
    }

    private async Task Exercise(int port)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };

        // Up once it answers a cart, which it does once its bucket exists.
        await TestCluster.WaitUntilAsync(async () =>
        {
            try
            {
                return (await http.GetAsync("/carts/ann")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the sample to answer with its bucket created");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(fixture.Cluster.Running.All(s => s.Runtime.Membership.State.Buckets.ContainsKey(Bucket))),
            TimeSpan.FromSeconds(10), "both silos to know the sample's bucket");
        Assert.Equal("set", fixture.Cluster[0].Runtime.Membership.State.Buckets[Bucket].TypeName);

        await Add("apple");
        await Add("pear");
        var cart = await Add("fig");
        Assert.Equal(["apple", "fig", "pear"], cart.GetProperty("items").EnumerateArray().Select(e => e.GetString()));
        var removed = await (await http.DeleteAsync("/carts/ann/items/pear")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["apple", "fig"], removed.GetProperty("items").EnumerateArray().Select(e => e.GetString()));
        var read = await http.GetFromJsonAsync<JsonElement>("/carts/ann");
        Assert.Equal(["apple", "fig"], read.GetProperty("items").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.DeleteAsync("/carts/ann")).StatusCode);
        Assert.Empty((await http.GetFromJsonAsync<JsonElement>("/carts/ann")).GetProperty("items").EnumerateArray());

        async Task<JsonElement> Add(string item)
        {
            var response = await http.PostAsJsonAsync("/carts/ann/items", new { item });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
    }
}
