using System.Text;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 4: quorum get/put over real gRPC between three (or five) silos.</summary>
public sealed class QuorumTests
{
    [Fact]
    public async Task Put_then_get_from_every_silo_returns_the_value_and_it_is_stored_on_exactly_the_preference_list()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 5 });
        var writer = await cluster.CreateClientAsync();
        await writer.PutAsync("default", "k1", "v1");
        foreach (var silo in cluster.Silos)
        {
            var viaSilo = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.Server, silo.Name);
            var got = await viaSilo.GetAsync("default", "k1");
            Assert.True(got.Found, $"get via {silo.Name}");
            Assert.Equal("v1", Assert.Single(got.Siblings).ValueAsString);
        }
        var preferenceList = cluster.PreferenceList("default", "k1", 3);
        Assert.Equal(3, preferenceList.Count);
        await TestCluster.WaitUntilAsync(async () =>
        {
            foreach (var silo in cluster.Silos)
            {
                bool holds = await cluster.ReadStoreAsync(silo.Name, "default", "k1") is not null;
                if (holds != preferenceList.Contains(silo.Name)) return false;
            }
            return true;
        }, TimeSpan.FromSeconds(5), "the key on exactly its 3 preference-list silos");
    }

    [Fact]
    public async Task Three_silos_each_store_the_key()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync();
        await client.PutAsync("default", "k", "v", options: new PutOptions { W = 3 });
        foreach (var silo in cluster.Silos)
        {
            var stored = await cluster.ReadStoreAsync(silo.Name, "default", "k");
            Assert.NotNull(stored);
            Assert.Equal("v", Encoding.UTF8.GetString(Assert.Single(stored!.Siblings).Value));
        }
    }

    [Fact]
    public async Task Concurrent_puts_with_one_context_become_siblings_and_a_merged_put_resolves_them()
    {
        await using var cluster = await TestCluster.StartAsync();
        var a = await cluster.CreateClientAsync();
        var b = await cluster.CreateClientAsync();
        var first = await a.PutAsync("default", "cart", "[]");
        await Task.WhenAll(
            a.PutAsync("default", "cart", "[book]", first),
            b.PutAsync("default", "cart", "[pen]", first));
        var got = await a.GetAsync("default", "cart", new GetOptions { R = 3 });
        Assert.Equal(["[book]", "[pen]"], got.Siblings.Select(s => s.ValueAsString).Order().ToArray());

        await a.PutAsync("default", "cart", "[book,pen]", got.Context);
        var resolved = await b.GetAsync("default", "cart", new GetOptions { R = 3 });
        Assert.Equal("[book,pen]", Assert.Single(resolved.Siblings).ValueAsString);
    }

    [Fact]
    public async Task A_delete_then_a_get_is_not_found_on_every_replica()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync();
        var context = await client.PutAsync("default", "gone", "soon", options: new PutOptions { W = 3 });
        await client.DeleteAsync("default", "gone", context, new PutOptions { W = 3 });
        Assert.False((await client.GetAsync("default", "gone", new GetOptions { R = 3 })).Found);
        foreach (var silo in cluster.Silos)
        {
            var stored = await cluster.ReadStoreAsync(silo.Name, "default", "gone");
            Assert.True(stored is null || stored.IsDeleted, $"{silo.Name} still holds a live value");
        }
    }

    [Fact]
    public async Task With_one_silo_of_three_stopped_quorum_two_works_and_w3_fails_naming_the_replicas()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync();
        await cluster.StopSiloAsync("silo2");
        await client.PutAsync("default", "k", "v");
        var got = await client.GetAsync("default", "k");
        Assert.Equal("v", Assert.Single(got.Siblings).ValueAsString);

        var error = await Assert.ThrowsAsync<DynamoException>(() => client.PutAsync("default", "k2", "v2", options: new PutOptions { W = 3 }));
        Assert.Equal(DynamoErrorKind.Unavailable, error.Kind);
        // The coordinator fails as soon as W=3 cannot be reached, so the message names who acked,
        // who failed (the stopped silo) and who had not answered yet.
        Assert.Matches(@"write quorum not reached: [12] of 3 replicas acknowledged \(need W=3\)", error.Message);
        Assert.Matches(@"failed \[[^\]]*silo2", error.Message);
        Assert.Contains("silo0", error.Message);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_clear_error_and_nothing_is_written()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync();

        async Task Refused(Func<Task> call, DynamoErrorKind kind, string fragment)
        {
            var e = await Assert.ThrowsAsync<DynamoException>(call);
            Assert.Equal(kind, e.Kind);
            Assert.Contains(fragment, e.Message);
        }

        await Refused(() => client.PutAsync("default", "", "v"), DynamoErrorKind.InvalidArgument, "key must not be empty");
        string longKey = new('k', 1025);
        await Refused(() => client.PutAsync("default", longKey, "v"), DynamoErrorKind.InvalidArgument, "1024 bytes");
        await Refused(() => client.PutAsync("default", "big", new byte[1024 * 1024 + 1]), DynamoErrorKind.InvalidArgument, "at most 1048576 bytes");
        await Refused(() => client.PutAsync("default", "ctx", "v", DynamoContext.Parse("AAAA")), DynamoErrorKind.InvalidArgument, "context does not decode");
        await Refused(() => client.PutAsync("nosuchbucket", "k", "v"), DynamoErrorKind.NotFound, "unknown bucket 'nosuchbucket'");
        await Refused(() => client.GetAsync("default", "k", new GetOptions { R = 0 }), DynamoErrorKind.InvalidArgument, "R must be");
        await Refused(() => client.PutAsync("default", "w0", "v", options: new PutOptions { W = 0 }), DynamoErrorKind.InvalidArgument, "W must be");
        await Refused(() => client.GetAsync("default", "k", new GetOptions { R = 4 }), DynamoErrorKind.InvalidArgument, "R must be between 1 and N=3, got 4");
        await Refused(() => client.PutAsync("default", "w4", "v", options: new PutOptions { W = 4 }), DynamoErrorKind.InvalidArgument, "W must be between 1 and N=3, got 4");

        foreach (var silo in cluster.Silos)
        {
            foreach (var key in new[] { "big", "ctx", "w0", "w4", longKey })
                Assert.Null(await cluster.ReadStoreAsync(silo.Name, "default", key));
            var summaries = await silo.Runtime.Store.SummarizeAllAsync();
            Assert.Equal(0, summaries.Sum(s => s.KeyCount));
        }
    }

    [Fact]
    public async Task Buckets_are_created_known_to_every_silo_and_enforce_their_settings()
    {
        await using var cluster = await TestCluster.StartAsync();
        var client = await cluster.CreateClientAsync();
        await client.CreateBucketAsync(new BucketSettings("carts", 2, 1, 1, ConflictPolicy.LastWriteWins, 16));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silos.All(s => s.Runtime.Membership.State.Buckets.ContainsKey("carts"))),
            TimeSpan.FromSeconds(10), "every silo to know bucket carts");
        await client.PutAsync("carts", "c", "0123456789");
        var e = await Assert.ThrowsAsync<DynamoException>(() => client.PutAsync("carts", "c", "01234567890123456789"));
        Assert.Contains("at most 16 bytes", e.Message);
        var e2 = await Assert.ThrowsAsync<DynamoException>(() => client.GetAsync("carts", "c", new GetOptions { R = 3 }));
        Assert.Contains("N=2", e2.Message);
        // last-write-wins: concurrent blind writes leave one value
        await client.PutAsync("carts", "c", "a");
        await client.PutAsync("carts", "c", "b");
        var got = await client.GetAsync("carts", "c", new GetOptions { R = 2 });
        Assert.Equal("b", Assert.Single(got.Siblings).ValueAsString);
    }
}
