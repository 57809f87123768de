using OrleansDynamo.Client;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.TestingHost;
using Xunit;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// How many replicas a silo's coordinated get asks: all N while it is alone in flight, R under load (itself first,
/// the others in turn), the next when one fails, and the rest when the speculation delay passes undecided.
/// </summary>
public sealed class CoordinatorReadFanOutTests
{
    /// <summary>Counts the replica reads a silo served for another silo's coordinator.</summary>
    private sealed class ReplicaReadCount : IRequestObserver
    {
        private long _reads;

        public long Reads => Interlocked.Read(ref _reads);

        public void OnRequest(in RequestEvent e)
        {
            if (e.Operation == "get" && e.Side == RequestSide.Replica) Interlocked.Increment(ref _reads);
        }
    }

    private static ReplicaReadCount[] Count(TestCluster cluster) => cluster.Running.Select(s =>
    {
        var count = new ReplicaReadCount();
        s.Runtime.Coordinator.AddObserver(count);
        return count;
    }).ToArray();

    private static async Task<List<string>> WriteEverywhereAsync(TestCluster cluster, string prefix, int count)
    {
        var writer = await cluster.CreateClientAsync();
        var keys = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        foreach (var k in keys) await writer.PutAsync(k, "v-" + k, options: new PutOptions { W = 3 });
        return keys;
    }

    [Fact]
    public async Task Under_load_a_coordinator_reads_itself_and_one_other_replica_and_alone_it_reads_all()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) => (o.AllReplicaReadsBelow, o.ReadSpeculationDelayMs) = (0, -1)));
        await cluster.WaitForTransfersAsync(Bound);
        var keys = await WriteEverywhereAsync(cluster, "fan-out-r", 30);
        var reads = Count(cluster);
        // The SDK sends each get to a replica of its key, which coordinates it: its own replica is read locally.
        var client = await cluster.CreateClientAsync();
        foreach (var k in keys)
        {
            var got = await client.GetAsync(k);
            Assert.Equal("v-" + k, Assert.Single(got.Siblings).ValueAsString);
            Assert.Equal(2, got.ReplicasAnswered);
            Assert.Contains(got.Coordinator, cluster.PreferenceList("default", k, 3));
        }
        // R=2: the coordinator's own read and one other, never the third.
        Assert.Equal(keys.Count, reads.Sum(r => r.Reads));
        // PR=3 asks every primary.
        long before = reads.Sum(r => r.Reads);
        Assert.Equal(3, (await client.GetAsync(keys[0], new GetOptions { PR = 3 })).ReplicasAnswered);
        Assert.Equal(before + 2, reads.Sum(r => r.Reads));
    }

    [Fact]
    public async Task Under_load_a_coordinator_asks_a_silo_still_joining_last()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) => (o.AllReplicaReadsBelow, o.ReadSpeculationDelayMs) = (0, -1)));
        await cluster.WaitForTransfersAsync(Bound);
        var keys = await WriteEverywhereAsync(cluster, "fan-out-joining", 20);
        var reads = Count(cluster);
        const string joining = "silo2";
        var coordinators = cluster.Running.Where(s => s.Name != joining).ToList();
        // As the transfer feature would say while silo2 still receives its partitions (it reads through to their old
        // owners, one hop more).
        var motion = new Silo.Coordination.PartitionMotion(false, new HashSet<string> { joining });
        foreach (var c in coordinators) c.Runtime.Coordinator.Motion = () => motion;
        // The coordinator asks at most every 100 ms: let its last answer (nothing in motion) expire.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        for (int i = 0; i < keys.Count; i++)
        {
            var got = await coordinators[i % 2].Runtime.Coordinator.GetAsync(new Silo.Coordination.GetCommand("default", keys[i]), CancellationToken.None);
            Assert.Equal(2, got.ReplicasAnswered);
        }
        // Each get read its coordinator and the other old silo: never the joining one.
        int j = cluster.Running.ToList().FindIndex(s => s.Name == joining);
        Assert.Equal(0, reads[j].Reads);
        Assert.Equal(keys.Count, reads.Sum(r => r.Reads));
    }

    [Fact]
    public async Task While_its_silo_moves_partitions_a_coordinator_reads_every_replica_even_under_load()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) => (o.AllReplicaReadsBelow, o.ReadSpeculationDelayMs) = (0, -1)));
        await cluster.WaitForTransfersAsync(Bound);
        var keys = await WriteEverywhereAsync(cluster, "fan-out-moving", 10);
        var reads = Count(cluster);
        // As the transfer feature says during a join or a leave (a new owner reads through to the old one).
        var moving = new Silo.Coordination.PartitionMotion(true, new HashSet<string>());
        foreach (var s in cluster.Running) s.Runtime.Coordinator.Motion = () => moving;
        // The coordinator asks the feature at most every 100 ms: let its last answer (nothing moving) expire.
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        for (int i = 0; i < keys.Count; i++)
            await cluster[i % 3].Runtime.Coordinator.GetAsync(new Silo.Coordination.GetCommand("default", keys[i]), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(reads.Sum(r => r.Reads) == 2 * keys.Count), Bound,
            "both other replicas to be read for each get");
    }

    [Fact]
    public async Task Alone_in_flight_a_coordinator_reads_every_replica()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3));
        await cluster.WaitForTransfersAsync(Bound);
        var keys = await WriteEverywhereAsync(cluster, "fan-out-all", 10);
        var reads = Count(cluster);
        var client = await cluster.CreateClientAsync();
        foreach (var k in keys) await client.GetAsync(k);
        // Each get's two other replicas are read (the slower one after the get has answered).
        await TestCluster.WaitUntilAsync(() => Task.FromResult(reads.Sum(r => r.Reads) == 2 * keys.Count), Bound,
            "both other replicas to be read for each get");
    }

    [Theory]
    [InlineData(100, 300_000)] // speculation: after 100 ms undecided, the rest are asked
    [InlineData(-1, 3_000)]    // none: the stuck replica's read times out and the next is asked (the default timeout: 1 s timed out healthy replicas on a loaded CI machine)
    public async Task A_replica_stuck_on_its_disk_is_passed_over_by_speculation_or_after_its_timeout(int speculationMs, int replicaTimeoutMs)
    {
        var gate = new StoreGate();
        const string stuckName = "silo2";
        var options = Options(3, (_, o) => (o.AllReplicaReadsBelow, o.ReadSpeculationDelayMs) = (0, speculationMs));
        // The coordinator waits for its quorum far beyond the test's bound: only asking another replica answers in time.
        options.RequestTimeoutMs = 300_000;
        options.ReplicaTimeoutMs = replicaTimeoutMs;
        ClientReadsTests.GatedReads? stuck = null;
        options.WrapStore = (silo, store) => silo == stuckName ? stuck = new ClientReadsTests.GatedReads(store, gate) : store;
        await using var cluster = await TestCluster.StartAsync(options);
        await cluster.WaitForTransfersAsync(Bound);
        var keys = await WriteEverywhereAsync(cluster, "fan-out-stuck", 12);
        var coordinators = cluster.Running.Where(s => s.Name != stuckName).ToList();
        gate.Close();
        try
        {
            // Each of the two other silos coordinates: it reads itself and, in turn, one of the others, so about half
            // of the gets ask the stuck silo.
            for (int i = 0; i < keys.Count; i++)
            {
                var coordinator = coordinators[i % coordinators.Count];
                var got = await coordinator.Runtime.Coordinator.GetAsync(new Silo.Coordination.GetCommand("default", keys[i]), CancellationToken.None)
                    .WaitAsync(Bound);
                Assert.Equal("v-" + keys[i], System.Text.Encoding.UTF8.GetString(Assert.Single(got.Siblings).Value));
                Assert.NotEqual(stuckName, got.FastestReplica);
            }
            Assert.True(stuck!.Held > 0, "no get asked the stuck replica: the path under test was not exercised");
        }
        finally
        {
            gate.Open();
        }
    }
}
