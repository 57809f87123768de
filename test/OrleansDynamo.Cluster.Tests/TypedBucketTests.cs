using System.Diagnostics;
using OrleansDynamo.Client;
using OrleansDynamo.Client.DataTypes;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Keys;
using Grpc.Net.Client;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Three silos with quick hints; typed buckets "likes" (counter), "carts" (set) and "profiles" (map).</summary>
public sealed class TypedBucketFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public DynamoClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = Options(3);
        // Typed updates are not resent (not idempotent), so a replica stalled for a few seconds on a shared machine must not
        // fail an update: a clean CI run saw one silo give no answer within 3 s while the other link was cut.
        options.ReplicaTimeoutMs = 10_000;
        options.RequestTimeoutMs = 15_000;
        Cluster = await TestCluster.StartAsync(options);
        Client = await Cluster.CreateClientAsync();
        await Client.CreateBucketAsync(new BucketSettings("likes", Policy: ConflictPolicy.Counter));
        await Client.CreateBucketAsync(new BucketSettings("carts", Policy: ConflictPolicy.Set));
        await Client.CreateBucketAsync(new BucketSettings("profiles", Policy: ConflictPolicy.Map));
        // Each create may be answered by another silo: wait until every silo has heard of all three.
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Cluster.Running.All(s =>
                new[] { "likes", "carts", "profiles" }.All(s.Runtime.Membership.State.Buckets.ContainsKey))),
            Bound, "every silo to know the typed buckets");
        await Cluster.WaitForTransfersAsync(Bound);
    }

    public Task DisposeAsync() => Cluster.DisposeAsync().AsTask();

    /// <summary>What one silo's store holds for a typed key, read directly (no quorum, no read repair); null when absent.</summary>
    public async Task<DataTypeState?> StoredAsync(string silo, string bucket, string key, DataTypeKind kind) =>
        await Cluster.ReadStoreAsync(silo, bucket, key) is { } set ? TypedValue.Unwrap(set, kind) : null;
}

/// <summary>Issue 19: typed buckets through the SDK, across a cut link, and their refusals.</summary>
public sealed class TypedBucketTests(TypedBucketFixture fixture, ITestOutputHelper output) : IClassFixture<TypedBucketFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private DynamoClient Client => fixture.Client;

    [Fact]
    public async Task Counters_and_sets_updated_on_both_sides_of_a_cut_link_hold_the_exact_values_on_every_replica_after_healing()
    {
        const int each = 1000;
        const string key = "post-cut";
        string a = Cluster[0].Name, b = Cluster[1].Name;
        // Each client talks to one silo only (the gRPC API of its side), which coordinates: every key has all three replicas.
        using var channelA = GrpcChannel.ForAddress(Cluster[0].GrpcAddress);
        using var channelB = GrpcChannel.ForAddress(Cluster[1].GrpcAddress);
        Cluster.Cut(a, b);
        try
        {
            var watch = Stopwatch.StartNew();
            async Task Side(GrpcChannel channel, string prefix)
            {
                var client = new Dynamo.DynamoClient(channel);
                // Four in flight per side: the key's turn serialises them on each coordinator.
                await Task.WhenAll(Enumerable.Range(0, 4).Select(async lane =>
                {
                    for (int i = lane; i < each; i += 4)
                        await client.UpdateAsync(new UpdateRequest { Bucket = "likes", Key = key, Op = new DataTypeOp { CounterIncrement = 1 } });
                }));
                for (int i = 0; i < 10; i++)
                    await client.UpdateAsync(new UpdateRequest { Bucket = "carts", Key = key, Op = new DataTypeOp { SetAdd = new SetElements { Elements = { prefix + i, "shared" } } } });
                var seen = await client.FetchAsync(new FetchRequest { Bucket = "carts", Key = key });
                Assert.Contains(prefix + "9", seen.Value.Elements);
                await client.UpdateAsync(new UpdateRequest
                {
                    Bucket = "carts", Key = key, Context = seen.Context, Op = new DataTypeOp { SetRemove = new SetElements { Elements = { prefix + "0", prefix + "1" } } },
                });
            }
            await Task.WhenAll(Side(channelA, "a"), Side(channelB, "b"));
            Assert.True(await HintsForAsync(Cluster, a, b) > 0 && await HintsForAsync(Cluster, b, a) > 0, "both sides kept hints for the other across the cut");
            output.WriteLine($"{2 * each} increments and 44 set operations across the cut in {watch.ElapsedMilliseconds} ms");
        }
        finally
        {
            Cluster.HealAll();
        }

        string[] expected = [.. Enumerable.Range(2, 8).SelectMany(i => new[] { "a" + i, "b" + i }).Append("shared").Order(StringComparer.Ordinal)];
        var healed = Stopwatch.StartNew();
        await TestCluster.WaitUntilAsync(async () =>
        {
            foreach (var s in Cluster.Running)
            {
                if (await fixture.StoredAsync(s.Name, "likes", key, DataTypeKind.Counter) is not PnCounter { } c || c.Value != 2 * each) return false;
                if (await fixture.StoredAsync(s.Name, "carts", key, DataTypeKind.Set) is not OrSet { } set || !set.Elements.SequenceEqual(expected)) return false;
            }
            return true;
        }, Bound, $"every replica to hold {2 * each} likes and the exact cart");
        output.WriteLine($"every replica exact {healed.ElapsedMilliseconds} ms after healing");

        // Equal states are equal bytes on every replica (so their Merkle digests agree).
        foreach (var bucket in new[] { "likes", "carts" })
        {
            var stored = await Task.WhenAll(Cluster.Running.Select(s => Cluster.ReadStoreAsync(s.Name, bucket, key)));
            Assert.All(stored, s => Assert.Equal(stored[0], s));
        }
        var read = await Client.Counters("likes").GetAsync(key);
        Assert.True(read.Found);
        Assert.Equal((Int128)(2 * each), read.Counter);
        Assert.Equal(expected, (await Client.Sets("carts").GetAsync(key)).Members.ToArray());
    }

    [Fact]
    public async Task Counter_set_and_map_round_trip_through_the_sdk()
    {
        var counters = Client.Counters("likes");
        Assert.False((await counters.GetAsync("rt")).Found);
        Assert.Equal((Int128)5, (await counters.IncrementAsync("rt", 5)).Counter);
        Assert.Equal((Int128)3, (await counters.IncrementAsync("rt", -2)).Counter);
        Assert.Equal((Int128)3, (await counters.GetAsync("rt")).Counter);

        var sets = Client.Sets("carts");
        await sets.AddAsync("rt", "book", "lamp");
        var cart = await sets.GetAsync("rt");
        Assert.Equal(["book", "lamp"], cart.Members.ToArray());
        Assert.False(cart.Context.IsEmpty);
        Assert.Equal(["lamp"], (await sets.RemoveAsync("rt", ["book"], cart.Context)).Members.ToArray());

        var maps = Client.Maps("profiles");
        await maps.UpdateAsync("rt", [MapOps.Increment("visits", 2), MapOps.Add("tags", "new", "vip"), MapOps.Assign("name", "Ada"), MapOps.Flag("active", true),
            MapOps.Update("address", MapOps.Assign("city", "Paris"))]);
        var profile = await maps.GetAsync("rt");
        Assert.Equal((Int128)2, profile.Value.Field("visits", DataTypeKind.Counter)!.Counter);
        Assert.Equal(["new", "vip"], profile.Value.Field("tags", DataTypeKind.Set)!.Elements.ToArray());
        Assert.Equal("Ada"u8.ToArray(), profile.Value.Field("name", DataTypeKind.Register)!.Register);
        Assert.True(profile.Value.Field("active", DataTypeKind.Flag)!.Flag);
        Assert.Equal("Paris"u8.ToArray(), profile.Value.Field("address", DataTypeKind.Map)!.Field("city", DataTypeKind.Register)!.Register);

        var after = await maps.UpdateAsync("rt", [MapOps.Remove("tags", DataTypeKind.Set), MapOps.Flag("active", false)], profile.Context);
        Assert.Null(after.Value.Field("tags", DataTypeKind.Set));
        Assert.Null(after.Value.Field("active", DataTypeKind.Flag));
        Assert.Equal(3, after.Value.Fields.Count);
    }

    [Fact]
    public async Task A_remove_with_the_observed_context_keeps_a_concurrent_add_and_a_deleted_set_does_not_come_back()
    {
        var sets = Client.Sets("carts");
        await sets.AddAsync("concurrent", "x", "y");
        var seen = await sets.GetAsync("concurrent");
        var other = await Cluster.CreateClientAsync();
        await other.Sets("carts").AddAsync("concurrent", "x"); // not in `seen`
        var after = await sets.RemoveAsync("concurrent", ["x", "y"], seen.Context);
        Assert.Equal(["x"], after.Members.ToArray());
        Assert.Equal(["x"], (await sets.GetAsync("concurrent")).Members.ToArray());

        // A delete drops what it saw; an older replica state merged in later does not bring it back.
        await sets.AddAsync("deleted", "a", "b");
        var before = await sets.GetAsync("deleted");
        var key = new DynamoKey("carts", "deleted");
        string holder = Cluster.PreferenceList("carts", "deleted", 3)[0];
        await TestCluster.WaitUntilAsync(async () => await fixture.StoredAsync(holder, "carts", "deleted", DataTypeKind.Set) is OrSet { Elements.Length: 2 },
            Bound, $"{holder} to hold both adds");
        var old = (await Cluster.ReadStoreAsync(holder, "carts", "deleted"))!;
        await sets.DeleteAsync("deleted", before.Context);
        Assert.False((await sets.GetAsync("deleted")).Found);
        var runtime = Cluster.Silo(holder).Runtime;
        await runtime.Replicas.Get(key.Hash.Partition(runtime.Options.PartitionCount)).MergeAsync(key, old, ConflictPolicy.Set, CancellationToken.None);
        Assert.False((await sets.GetAsync("deleted")).Found);
        Assert.Empty(((OrSet)(await fixture.StoredAsync(holder, "carts", "deleted", DataTypeKind.Set))!).Elements);
    }

    [Fact]
    public async Task Key_value_and_typed_requests_on_the_wrong_bucket_and_a_type_change_are_refused_and_write_nothing()
    {
        var kv = await Assert.ThrowsAsync<DynamoException>(() => Client.PutAsync("likes", "refused", "1"));
        Assert.Equal(DynamoErrorKind.FailedPrecondition, kv.Kind);
        Assert.Contains("bucket 'likes' holds counters", kv.Message);
        var get = await Assert.ThrowsAsync<DynamoException>(() => Client.GetAsync("carts", "refused"));
        Assert.Equal(DynamoErrorKind.FailedPrecondition, get.Kind);

        var typed = await Assert.ThrowsAsync<DynamoException>(() => Client.Counters("default").IncrementAsync("refused"));
        Assert.Equal(DynamoErrorKind.FailedPrecondition, typed.Kind);
        Assert.Contains("bucket 'default' is a key-value bucket", typed.Message);
        var wrongType = await Assert.ThrowsAsync<DynamoException>(() => Client.Sets("likes").AddAsync("refused", "x"));
        Assert.Equal(DynamoErrorKind.InvalidArgument, wrongType.Kind);
        Assert.Contains("bucket 'likes' holds counters; a set operation", wrongType.Message);
        var counterDelete = await Assert.ThrowsAsync<DynamoException>(() => Client.Sets("likes").DeleteAsync("refused"));
        Assert.Contains("cannot be deleted", counterDelete.Message);
        // Typed values and delete markers keep no content type: the SDK refuses one rather than drop it unseen.
        var typedContentType = await Assert.ThrowsAsync<DynamoException>(() =>
            Client.Sets("carts").AddAsync("refused", ["x"], new PutOptions { ContentType = "application/json" }));
        Assert.Equal(DynamoErrorKind.InvalidArgument, typedContentType.Kind);
        Assert.Contains("a typed bucket (counter, set, map) keeps no content type", typedContentType.Message);
        var deleteContentType = await Assert.ThrowsAsync<DynamoException>(() =>
            Client.DeleteAsync("default", "refused", options: new PutOptions { ContentType = "text/plain" }));
        Assert.Contains("a delete carries no content type", deleteContentType.Message);

        foreach (var s in Cluster.Running)
        {
            Assert.Null(await Cluster.ReadStoreAsync(s.Name, "likes", "refused"));
            Assert.Null(await Cluster.ReadStoreAsync(s.Name, "carts", "refused"));
            Assert.Null(await Cluster.ReadStoreAsync(s.Name, "default", "refused"));
        }

        foreach (bool force in new[] { false, true })
        {
            var change = await Assert.ThrowsAsync<DynamoException>(() => Client.CreateBucketAsync(new BucketSettings("likes", Policy: ConflictPolicy.Set), force));
            Assert.Equal(DynamoErrorKind.FailedPrecondition, change.Kind);
            Assert.Contains("bucket 'likes' exists with type counter", change.Message);
            var toKv = await Assert.ThrowsAsync<DynamoException>(() => Client.CreateBucketAsync(new BucketSettings("likes"), force));
            Assert.Contains("cannot become kv", toKv.Message);
        }
        Assert.Equal(ConflictPolicy.Counter, Cluster[0].Runtime.Membership.State.Buckets["likes"].Policy);
        var ring = await Client.GetRingAsync();
        Assert.Equal("counter", ring.Buckets.Single(b => b.Name == "likes").TypeName);
    }
}

/// <summary>Issue 19: a typed replica that missed updates is brought to the exact value by read repair (anti-entropy off, hints held back).</summary>
public sealed class TypedBucketRepairTests
{
    [Fact]
    public async Task A_counter_replica_that_missed_increments_is_repaired_to_the_exact_value_by_a_fetch()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) =>
        {
            o.AntiEntropy.Enabled = false;
            o.Hints.DeliveryIntervalMs = 600_000;
        }));
        await cluster.WaitForTransfersAsync(Bound);
        var client = await cluster.CreateClientAsync();
        await client.CreateBucketAsync(new BucketSettings("likes", Policy: ConflictPolicy.Counter));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => s.Runtime.Membership.State.Buckets.ContainsKey("likes"))),
            Bound, "every silo to know the bucket");
        const string key = "stale";
        var pl = cluster.PreferenceList("likes", key, 3);
        await client.Counters("likes").IncrementAsync(key, 5, new PutOptions { W = 3 });

        // Cut off from both other replicas, so no stand-in passes the increments on to it either.
        cluster.Partition([pl[2]], [pl[0], pl[1]]);
        // The client sends each update to the first replica of the key, pl[0].
        for (int i = 0; i < 10; i++) await client.Counters("likes").IncrementAsync(key, 3, new PutOptions { W = 2 });
        cluster.HealAll();
        Assert.Equal((Int128)5, ((PnCounter)TypedValue.Unwrap(await cluster.ReadStoreAsync(pl[2], "likes", key), DataTypeKind.Counter)).Value);

        Assert.Equal((Int128)35, (await client.Counters("likes").GetAsync(key, new GetOptions { R = 3 })).Counter);
        await TestCluster.WaitUntilAsync(async () =>
            ((PnCounter)TypedValue.Unwrap(await cluster.ReadStoreAsync(pl[2], "likes", key), DataTypeKind.Counter)).Value == 35, Bound, $"read repair of {pl[2]}");
        var stored = await Task.WhenAll(pl.Select(s => cluster.ReadStoreAsync(s, "likes", key)));
        Assert.All(stored, s => Assert.Equal(stored[0], s));
        Assert.True(cluster.Silos.Sum(s => s.Runtime.Counters.Get("read_repairs")) > 0);
    }
}
