using OrleansDynamo.Core.Buckets;
using Microsoft.Extensions.DependencyInjection;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Api;
using OrleansDynamo.Core;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 15, item 5: repeated admin calls cannot grow the membership history without end.</summary>
public sealed class MembershipBoundTests
{
    private static int BucketEvents(TestSilo silo, string name) =>
        silo.Runtime.Membership.History.Events.Count(e => e.Kind == MembershipEventKind.Bucket && e.Bucket!.Name == name);

    [Fact]
    public async Task Repeating_or_alternating_a_buckets_definition_keeps_one_event_on_every_silo()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2, PartitionCount = 16 });
        // Every admin call through silo0's API (what the client API calls): sequential redefinitions on two silos at
        // once would be concurrent acts, whose order only their Lamport times decide.
        var api = cluster[0].App!.Services.GetRequiredService<SiloApi>();
        Task Create(int r) => api.CreateBucketAsync(new BucketRequest("orders", N: 2, R: r, W: 1), CancellationToken.None);
        await Create(1);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => s.Runtime.Membership.State.Buckets.ContainsKey("orders")
                && s.Runtime.Membership.History.Digest == cluster[0].Runtime.Membership.History.Digest)),
            TimeSpan.FromSeconds(30), "both silos to know the bucket");
        long events = cluster[0].Runtime.Membership.History.Events.Count;
        long version = cluster[0].Runtime.Membership.State.Version;

        for (int i = 0; i < 50; i++) await Create(1);
        Assert.Equal(events, cluster[0].Runtime.Membership.History.Events.Count);
        Assert.Equal(version, cluster[0].Runtime.Membership.State.Version); // an unchanged definition records nothing

        for (int i = 0; i < 100; i++) await Create(1 + i % 2);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s =>
                s.Runtime.Membership.State.Buckets.TryGetValue("orders", out var b) && b.R == 2 && BucketEvents(s, "orders") == 1
                && s.Runtime.Membership.History.Digest == cluster[0].Runtime.Membership.History.Digest)),
            TimeSpan.FromSeconds(30), "both silos to hold the last definition only");
        Assert.All(cluster.Running, s => Assert.Equal(events, s.Runtime.Membership.History.Events.Count));
        Assert.True(cluster[0].Runtime.Membership.State.Version > version, "the redefinitions did not move the membership version");
    }

    [Fact]
    public async Task A_cluster_holds_at_most_MaxBuckets_buckets_and_refuses_one_more_writing_nothing()
    {
        const int max = 40;
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 1, PartitionCount = 16, Configure = (_, o) => o.MaxBuckets = max });
        await using var client = await cluster.CreateClientAsync();
        for (int i = 1; i < max; i++) await client.CreateBucketAsync(new BucketSettings($"b{i}", N: 1, R: 1, W: 1));
        var state = cluster[0].Runtime.Membership.State;
        Assert.Equal(max, state.Buckets.Count); // the default bucket and b1..b39

        var refused = await Assert.ThrowsAsync<DynamoException>(() => client.CreateBucketAsync(new BucketSettings("one-more", N: 1, R: 1, W: 1)));
        Assert.Equal(DynamoErrorKind.FailedPrecondition, refused.Kind);
        Assert.Contains($"the most it may hold (Silo:MaxBuckets {max})", refused.Message);
        Assert.Equal(state.Version, cluster[0].Runtime.Membership.State.Version);
        Assert.False(cluster[0].Runtime.Membership.State.Buckets.ContainsKey("one-more"));
        // An existing bucket can still be changed at the cap.
        Assert.Equal(4096, (await client.CreateBucketAsync(new BucketSettings("b1", N: 1, R: 1, W: 1, MaxValueBytes: 4096))).MaxValueBytes);
    }

    [Fact]
    public void MaxBuckets_is_checked_at_start()
    {
        var problems = new Silo.Hosting.SiloOptions { MaxBuckets = BucketSettings.MaxBuckets + 1 }.Validate();
        Assert.Contains($"Silo:MaxBuckets must be 1-{BucketSettings.MaxBuckets}, got {BucketSettings.MaxBuckets + 1}", problems);
    }
}
