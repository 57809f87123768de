using OrleansDynamo.Client;
using OrleansDynamo.TestingHost;
using Xunit;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 6, item 4: a put may be coordinated by the replica that answered the previous get fastest.</summary>
public sealed class AlwaysWriteableFastestReplicaTests
{
    [Fact]
    public async Task A_gets_context_names_its_fastest_replica_and_a_put_with_it_is_coordinated_there_when_preferred()
    {
        await using var cluster = await TestCluster.StartAsync(Options(5));
        const string key = "cart-frank";
        var pl = cluster.PreferenceList("default", key, 3);
        var client = await cluster.CreateClientAsync(o => o.PreferFastestReplicaForWrites = true);
        await client.PutAsync("default", key, "v1", options: new PutOptions { W = 3 });

        var got = await client.GetAsync("default", key, new GetOptions { R = 3 });
        string? fastest = got.Context.FastestReplica;
        Assert.NotNull(fastest);
        Assert.Contains(fastest, pl);

        var putsBefore = cluster.Silos.ToDictionary(s => s.Name, s => s.Runtime.Counters.Get("puts"));
        await client.PutAsync("default", key, "v2", got.Context);
        var coordinated = cluster.Silos.Where(s => s.Runtime.Counters.Get("puts") > putsBefore[s.Name]).Select(s => s.Name).ToList();
        Assert.Equal([fastest], coordinated);
        Assert.Equal("v2", Assert.Single((await client.GetAsync("default", key)).Siblings).ValueAsString);
        Assert.False(new DynamoClientOptions().PreferFastestReplicaForWrites);
    }
}
