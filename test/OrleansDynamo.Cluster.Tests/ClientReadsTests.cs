using Grpc.Core;
using Grpc.Net.Client;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Gets the client coordinates itself (<see cref="CoordinationMode.ClientReads"/>, Dynamo §6.4): it asks the key's
/// replicas directly, merges what R of them hold, repairs disagreeing replicas through a silo's get, and goes through a
/// silo when too few answer. A silo answers a replica read only for keys it holds.
/// </summary>
public sealed class ClientReadsTests
{
    private static long CoordinatedGets(TestCluster cluster) => cluster.Running.Sum(s => s.Runtime.Counters.Get(CounterNames.Gets));

    private static long ReplicaReads(TestSilo silo) => silo.Runtime.Counters.Get(CounterNames.ClientReplicaReads);

    /// <summary>A disk whose key reads wait at a gate (writes pass): a replica that is slow to read, or stuck.</summary>
    internal sealed class GatedReads(Storage.IPartitionStore inner, StoreGate gate) : Storage.DelegatingPartitionStore(inner)
    {
        private long _held;

        /// <summary>Reads that found the gate closed.</summary>
        public long Held => Interlocked.Read(ref _held);

        public override async ValueTask<Core.Versioning.SiblingSet?> ReadAsync(int partition, Core.Keys.DynamoKey key, CancellationToken cancellationToken = default)
        {
            if (gate.IsClosed) Interlocked.Increment(ref _held);
            await gate.PassAsync(cancellationToken);
            return await Inner.ReadAsync(partition, key, cancellationToken);
        }
    }

    [Fact]
    public async Task Under_load_a_read_asks_R_replicas_in_turn_and_alone_it_asks_all()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3));
        await cluster.WaitForTransfersAsync(Bound);
        var writer = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, 30).Select(i => $"client-read-r-{i}").ToList();
        foreach (var k in keys) await writer.PutAsync(k, "v-" + k, options: new PutOptions { W = 3 });

        // As under load (0: every read asks R), and no speculation: exactly R replica reads a get.
        var quorum = await cluster.CreateClientAsync(o => (o.Coordination, o.AllReplicaReadsBelow, o.ReadSpeculationDelay) =
            (CoordinationMode.ClientReads, 0, Timeout.InfiniteTimeSpan));
        var before = cluster.Running.Select(ReplicaReads).ToArray();
        foreach (var k in keys)
        {
            var got = await quorum.GetAsync(k);
            Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
            Assert.Equal(2, got.ReplicasAnswered);
        }
        var asked = cluster.Running.Select((s, i) => ReplicaReads(s) - before[i]).ToArray();
        Assert.Equal(2 * keys.Count, asked.Sum());
        // The reads took turns: every replica was asked (each silo holds every key with N=3 on 3 silos).
        Assert.All(asked, a => Assert.InRange(a, 1, keys.Count));
        // PR above R asks that many primaries.
        var strict = await quorum.GetAsync(keys[0], new GetOptions { PR = 3 });
        Assert.Equal(3, strict.ReplicasAnswered);

        // Alone in flight (the default), a read asks every replica.
        var alone = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.ClientReads);
        long all = cluster.Running.Sum(ReplicaReads);
        foreach (var k in keys.Take(10)) await alone.GetAsync(k);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.Sum(ReplicaReads) == all + 30), Bound,
            "every replica to have been asked for each of 10 gets");
    }

    [Fact]
    public async Task A_replica_stuck_on_its_disk_is_passed_over_by_speculation_or_after_its_timeout()
    {
        var gate = new StoreGate();
        var options = Options(3);
        // The silos wait on the stuck disk far beyond the test's bound, so only the client moves a read past it.
        options.RequestTimeoutMs = 300_000;
        options.ReplicaTimeoutMs = 300_000;
        const string stuckName = "silo2";
        options.WrapStore = (silo, store) => silo == stuckName ? new GatedReads(store, gate) : store;
        await using var cluster = await TestCluster.StartAsync(options);
        await cluster.WaitForTransfersAsync(Bound);
        var stuck = cluster.Silo(stuckName);
        var writer = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, 12).Select(i => $"client-read-stuck-{i}").ToList();
        foreach (var k in keys) await writer.PutAsync(k, "v-" + k, options: new PutOptions { W = 3 });
        gate.Close();
        try
        {
            // Speculation: after 100 ms without a quorum the read asks the third replica. The request timeout is far
            // beyond the test's bound, so a get waiting on the stuck replica would fail the test.
            var speculating = await cluster.CreateClientAsync(o => (o.Coordination, o.AllReplicaReadsBelow, o.ReadSpeculationDelay, o.RequestTimeout) =
                (CoordinationMode.ClientReads, 0, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)));
            long stuckAsked = ReplicaReads(stuck);
            foreach (var k in keys)
            {
                var got = await speculating.GetAsync(k).WaitAsync(Bound);
                Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
                Assert.NotEqual(stuckName, got.Context.FastestReplica);
            }
            // The stuck replica was asked (two of three reads ask it) and holds those reads still.
            Assert.True(ReplicaReads(stuck) > stuckAsked, "no read asked the stuck replica: speculation was not exercised");
            Assert.True(gate.Waiting > 0, "the stuck replica holds none of the reads it was asked");

            // No speculation: a read that asked the stuck replica asks the next one once that call times out.
            var waiting = await cluster.CreateClientAsync(o => (o.Coordination, o.AllReplicaReadsBelow, o.ReadSpeculationDelay, o.RequestTimeout, o.MarkDownDuration) =
                (CoordinationMode.ClientReads, 0, Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(1)));
            stuckAsked = ReplicaReads(stuck);
            foreach (var k in keys.Take(4))
            {
                var got = await waiting.GetAsync(k).WaitAsync(Bound);
                Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
            }
            Assert.True(ReplicaReads(stuck) > stuckAsked, "no read asked the stuck replica: the timeout path was not exercised");
        }
        finally
        {
            gate.Open();
        }
    }

    [Fact]
    public async Task A_get_is_answered_from_the_replicas_without_a_silo_coordinating_it()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3));
        await cluster.WaitForTransfersAsync(Bound);
        var writer = await cluster.CreateClientAsync();
        var reader = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.ClientReads);
        var keys = Enumerable.Range(0, 30).Select(i => $"client-read-{i}").ToList();
        // Every write waits for all three replicas: replicas that disagree (a write still reaching the third) would
        // rightly send a get through a silo to repair them.
        var all = new PutOptions { W = 3 };
        foreach (var k in keys) await writer.PutAsync(k, "v-" + k, options: all);

        long before = CoordinatedGets(cluster);
        foreach (var k in keys)
        {
            var got = await reader.GetAsync(k);
            Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
            Assert.Equal("", got.Coordinator);
            Assert.InRange(got.ReplicasAnswered, 2, 3);
            Assert.Contains(got.Context.FastestReplica, cluster.PreferenceList("default", k, 3));
        }
        var missing = await reader.GetAsync("client-read-never-written");
        Assert.False(missing.Found);
        Assert.Empty(missing.Siblings);
        // No silo coordinated any of those gets.
        Assert.Equal(before, CoordinatedGets(cluster));

        // Concurrent blind writes come back as siblings, with a context that a write then supersedes.
        await writer.PutAsync("client-read-cart", "a", options: all);
        await writer.PutAsync("client-read-cart", "b", options: all);
        var both = await reader.GetAsync("client-read-cart", new GetOptions { R = 3 });
        Assert.Equal(["a", "b"], both.Siblings.Select(s => s.ValueAsString).Order());
        Assert.Equal(3, both.ReplicasAnswered);
        await reader.PutAsync("client-read-cart", "ab", both.Context, all);
        Assert.Equal("ab", Assert.Single((await reader.GetAsync("client-read-cart")).Siblings).ValueAsString);

        // A delete is seen as not found.
        await reader.DeleteAsync("client-read-cart", (await reader.GetAsync("client-read-cart")).Context, all);
        Assert.False((await reader.GetAsync("client-read-cart")).Found);
        Assert.Equal(before, CoordinatedGets(cluster));
    }

    [Fact]
    public async Task Replicas_that_disagree_are_repaired_after_a_client_coordinated_get()
    {
        await using var cluster = await TestCluster.StartAsync(ReadRepairTests.NoOtherRepair());
        const string key = "client-read-stale";
        string stale = await ReadRepairTests.LeaveOneReplicaStaleAsync(cluster, await cluster.CreateClientAsync(), key);
        long repairsBefore = cluster.Silos.Sum(s => s.Runtime.Counters.Get("read_repairs"));

        var reader = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.ClientReads);
        var got = await reader.GetAsync("default", key, new GetOptions { R = 3 });
        Assert.Equal("v2", Assert.Single(got.Siblings).ValueAsString);
        Assert.Equal("", got.Coordinator);
        await TestCluster.WaitUntilAsync(() => StoreHoldsAsync(cluster, stale, key, "v2"), Bound, $"read repair of {stale}");
        Assert.True(cluster.Silos.Sum(s => s.Runtime.Counters.Get("read_repairs")) > repairsBefore);
        Assert.Equal(0, cluster.Silos.Sum(s => s.Runtime.Counters.Get("hints_delivered:" + stale)));
    }

    [Fact]
    public async Task A_killed_replica_leaves_gets_answered_by_the_others_and_a_quorum_it_breaks_fails_clearly()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3));
        await cluster.WaitForTransfersAsync(Bound);
        var writer = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, 20).Select(i => $"client-read-kill-{i}").ToList();
        foreach (var k in keys) await writer.PutAsync(k, "v-" + k, options: new PutOptions { W = 3 });
        // Short request timeouts: in this process a killed silo's open connections can stay half-open (no OS closes
        // them as kill -9 does), so a call already on one waits for its timeout.
        var reader = await cluster.CreateClientAsync(o => (o.Coordination, o.RequestTimeout, o.MarkDownDuration) =
            (CoordinationMode.ClientReads, TimeSpan.FromSeconds(3), TimeSpan.FromMinutes(5)));

        await cluster.KillSiloAsync(cluster[2].Name);
        long before = CoordinatedGets(cluster);
        foreach (var k in keys)
        {
            var got = await reader.GetAsync(k);
            Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
            Assert.Equal("", got.Coordinator);
        }
        Assert.Equal(before, CoordinatedGets(cluster));

        // R=3 with a replica gone: once the client has marked it down (its calls there time out), the client cannot
        // decide the get, the silo it then asks cannot either, and says why.
        DynamoException? failed = null;
        await TestCluster.WaitUntilAsync(async () =>
        {
            failed = await Assert.ThrowsAsync<DynamoException>(() => reader.GetAsync(keys[0], new GetOptions { R = 3 }));
            return failed.Kind != DynamoErrorKind.Timeout;
        }, Bound, "an R=3 get to fail for want of replicas rather than time out");
        Assert.Equal(DynamoErrorKind.Unavailable, failed!.Kind);
        Assert.Contains("need R=3", failed.Message);

        // Closing the client does not wait on the dead silo's half-open connection (Orleans' own close took minutes).
        var closing = reader.DisposeAsync().AsTask();
        Assert.Same(closing, await Task.WhenAny(closing, Task.Delay(Bound)));
    }

    [Fact]
    public async Task A_silo_answers_a_replica_read_only_for_a_key_it_holds_and_checks_the_key_as_a_get_does()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3));
        await cluster.WaitForTransfersAsync(Bound);
        var client = await cluster.CreateClientAsync();
        await client.CreateBucketAsync(new BucketSettings("single", 1, 1, 1, ConflictPolicy.Siblings, BucketSettings.DefaultMaxValueBytes));
        await client.CreateBucketAsync(new BucketSettings("likes", Policy: ConflictPolicy.Counter));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s =>
                new[] { "single", "likes" }.All(s.Runtime.Membership.State.Buckets.ContainsKey))),
            Bound, "every silo to know both buckets");
        await client.PutAsync("single", "only-one", "v");
        string owner = cluster.PreferenceList("single", "only-one", 1)[0];
        var other = cluster.Running.First(s => s.Name != owner);

        using var toOwner = GrpcChannel.ForAddress(cluster.Silo(owner).GrpcAddress);
        var held = await new Dynamo.DynamoClient(toOwner).ReadReplicaAsync(new ReadReplicaRequest { Bucket = "single", Key = "only-one" });
        Assert.Equal(owner, held.Silo);
        Assert.False(held.Versions.IsEmpty);

        using var toOther = GrpcChannel.ForAddress(other.GrpcAddress);
        var grpc = new Dynamo.DynamoClient(toOther);
        var notHeld = await Assert.ThrowsAsync<RpcException>(async () =>
            await grpc.ReadReplicaAsync(new ReadReplicaRequest { Bucket = "single", Key = "only-one" }));
        Assert.Equal(StatusCode.FailedPrecondition, notHeld.StatusCode);
        Assert.Contains($"{other.Name} is not one of the 1 replicas of this key", notHeld.Status.Detail);

        var empty = await Assert.ThrowsAsync<RpcException>(async () => await grpc.ReadReplicaAsync(new ReadReplicaRequest { Key = "" }));
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await grpc.ReadReplicaAsync(new ReadReplicaRequest { Bucket = "nope", Key = "k" }));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown bucket 'nope'", unknown.Status.Detail);

        // The SDK in client-reads mode reads the one replica; a typed bucket's key-value get is refused as before.
        var reader = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.ClientReads);
        Assert.Equal("v", Assert.Single((await reader.GetAsync("single", "only-one")).Siblings).ValueAsString);
        var refused = await Assert.ThrowsAsync<DynamoException>(() => reader.GetAsync("likes", "k"));
        Assert.Equal(DynamoErrorKind.FailedPrecondition, refused.Kind);
        Assert.Contains("a key-value get does not apply", refused.Message);
    }

    [Fact]
    public async Task A_typed_buckets_fetch_is_answered_from_the_replicas_and_merged_by_its_type()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3));
        await cluster.WaitForTransfersAsync(Bound);
        var writer = await cluster.CreateClientAsync();
        await writer.CreateBucketAsync(new BucketSettings("likes", Policy: ConflictPolicy.Counter));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => s.Runtime.Membership.State.Buckets.ContainsKey("likes"))),
            Bound, "every silo to know the counter bucket");
        var reader = await cluster.CreateClientAsync(o => o.Coordination = CoordinationMode.ClientReads);
        await TestCluster.WaitUntilAsync(async () => (await reader.RefreshRingAsync()).FindBucket("likes") is not null, Bound, "the client's ring to list it");

        var all = new PutOptions { W = 3 };
        await writer.Counters("likes").IncrementAsync("post-1", 5, all);
        await writer.Counters("likes").IncrementAsync("post-1", -2, all);
        long before = CoordinatedGets(cluster);
        var read = await reader.Counters("likes").GetAsync("post-1");
        Assert.True(read.Found);
        Assert.Equal((Int128)3, read.Counter);
        Assert.Equal("", read.Coordinator);
        Assert.False((await reader.Counters("likes").GetAsync("post-never")).Found);
        Assert.Equal(before, CoordinatedGets(cluster));

        // A replica read of a typed key answers its stored state; the client merges it by the bucket's type.
        using var channel = GrpcChannel.ForAddress(cluster[0].GrpcAddress);
        var replica = await new Dynamo.DynamoClient(channel).ReadReplicaAsync(new ReadReplicaRequest { Bucket = "likes", Key = "post-1" });
        Assert.False(replica.Versions.IsEmpty);
    }
}
