using System.Diagnostics;
using System.Text;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Transfer;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 5: an ownership transfer is rate-limited, resumes from its persisted cursor after the sender
/// restarts, and while it runs the new owner reads through to the old one (and shows as joining).
/// Each test starts one silo holding every key (N=2, R=W=1) and joins a second, which is then a new
/// owner of every partition, streamed from the first; the joining-status test starts two, so that two old owners send.
/// </summary>
public sealed class HandoffTransferTests(ITestOutputHelper output)
{
    private static TestClusterOptions Options(int partitions, int keysPerSecond, int pageSize, int silos = 1) => new()
    {
        Silos = silos,
        PartitionCount = partitions,
        N = 2,
        R = 1,
        W = 1,
        Configure = (_, o) =>
        {
            o.Transfer.IntervalMs = 100;
            o.Transfer.KeysPerSecond = keysPerSecond;
            o.Transfer.PageSize = pageSize;
            // A read-through that times out answers what the new owner holds (nothing yet): the read-through test reads
            // the old owner's answer, so a CPU stall of the shared machine must not pass for a silent old owner.
            o.Transfer.ReadThroughTimeoutMs = 10_000;
            o.AntiEntropy.Enabled = false; // only the transfer may move keys here
        },
    };

    private static async Task<List<string>> WriteAsync(TestCluster cluster, string prefix, int count)
    {
        var keys = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToList();
        var coordinator = cluster[0].Runtime.Coordinator;
        foreach (var key in keys)
            await coordinator.PutAsync(new PutCommand("default", key, Encoding.UTF8.GetBytes("v-" + key), null, W: 1), CancellationToken.None);
        return keys;
    }

    private static OwnershipTransferFeature Transfer(TestSilo silo) => silo.Runtime.Feature<OwnershipTransferFeature>()!;

    private static async Task<long> KeyCountAsync(TestSilo silo) => (await silo.Runtime.Store.SummarizeAllAsync()).Sum(s => s.KeyCount);

    private static async Task WaitUntilReceivingAsync(TestSilo joined) =>
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(joined).InboundPending().Count > 0),
            TimeSpan.FromSeconds(15), $"{joined.Name} to see its inbound transfers");

    /// <summary>
    /// One silo holding 40 keys, then a second joining that receives them at 2 keys a second (most of its partitions
    /// still inbound for a while); returns once the new silo is receiving. The caller disposes the cluster.
    /// </summary>
    private static async Task<(TestCluster Cluster, List<string> Keys, TestSilo Joined)> JoinSlowlyAsync(string prefix)
    {
        var cluster = await TestCluster.StartAsync(Options(partitions: 8, keysPerSecond: 2, pageSize: 1));
        try
        {
            var keys = await WriteAsync(cluster, prefix, 40);
            var joined = await cluster.AddSiloAsync();
            await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
            await WaitUntilReceivingAsync(joined);
            return (cluster, keys, joined);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task The_keys_per_second_setting_bounds_the_transfer_rate()
    {
        const int keys = 250, rate = 100;
        await using var cluster = await TestCluster.StartAsync(Options(partitions: 16, keysPerSecond: rate, pageSize: 10));
        await WriteAsync(cluster, "rate", keys);

        var clock = Stopwatch.StartNew();
        var joined = await cluster.AddSiloAsync();
        await WaitUntilReceivingAsync(joined);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(joined).InboundPending().Count == 0), TimeSpan.FromSeconds(60),
            "the transfer to complete");
        var took = clock.Elapsed;

        Assert.Equal(keys, await KeyCountAsync(joined));
        Assert.Equal(keys, Transfer(joined).KeysReceived);
        double floor = keys / (double)rate * 0.8;
        output.WriteLine($"{keys} keys at {rate} keys/s took {took.TotalSeconds:0.00} s (ideal {keys / (double)rate:0.00} s, asserted at least {floor:0.00} s)");
        Assert.True(took.TotalSeconds >= floor, $"{keys} keys at {rate} keys/s took only {took.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task A_transfer_resumes_from_its_saved_cursor_after_the_sender_restarts_and_loses_no_key()
    {
        const int keys = 240;
        await using var cluster = await TestCluster.StartAsync(Options(partitions: 4, keysPerSecond: 200, pageSize: 5));
        var written = await WriteAsync(cluster, "resume", keys);
        var joined = await cluster.AddSiloAsync();
        await WaitUntilReceivingAsync(joined);

        // Freeze the stream mid-partition: cut the link once a cursor is saved, and keep it only if a cursor is still saved then.
        var cursors = new TransferCursorStore(cluster[0].Runtime.Store.Metadata);
        async Task<bool> CursorSavedAsync()
        {
            for (int p = 0; p < 4; p++)
            {
                if (await cursors.LoadAsync(p, CancellationToken.None) is { Cursor: not null }) return true;
            }
            return false;
        }
        bool frozen = false;
        for (int attempt = 0; attempt < 10 && !frozen; attempt++)
        {
            await TestCluster.WaitUntilAsync(CursorSavedAsync, TimeSpan.FromSeconds(20), "a saved transfer cursor");
            cluster.Cut("silo0", joined.Name);
            await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(cluster[0]).Transfers().Any(t => t.State.StartsWith("retrying") || t.State.StartsWith("waiting"))),
                TimeSpan.FromSeconds(20), "the cut stream to stall");
            frozen = await CursorSavedAsync();
            if (!frozen) cluster.HealAll();
        }
        Assert.True(frozen, "no transfer could be frozen mid-partition");
        long receivedBeforeRestart = Transfer(joined).KeysReceived;
        Assert.InRange(receivedBeforeRestart, 1, keys - 1);

        await cluster.StopSiloAsync("silo0");
        cluster.HealAll();
        await cluster.RestartSiloAsync("silo0");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(joined).InboundPending().Count == 0 && !Transfer(cluster[0]).Busy),
            TimeSpan.FromSeconds(60), "the resumed transfer to complete on both sides");

        var restarted = Transfer(cluster[0]);
        long sentAfterRestart = restarted.Completed.Sum(t => t.KeysSent);
        output.WriteLine($"{keys} keys: {receivedBeforeRestart} received before the sender's restart, {sentAfterRestart} sent after it " +
                         $"({restarted.Resumes} transfer(s) resumed from a saved cursor); {joined.Name} received {Transfer(joined).KeysReceived} keys in all; " +
                         string.Join(" ", restarted.Completed.Select(t => $"p{t.Partition}:{t.KeysSent}")));
        Assert.True(restarted.Resumes >= 1, "the restarted sender did not resume from its saved cursor");
        Assert.True(sentAfterRestart < keys, $"the restarted sender sent {sentAfterRestart} keys, as if starting over");
        foreach (var key in written)
            Assert.True(await cluster.ReadStoreAsync(joined.Name, "default", key) is not null, $"{key} was lost in the transfer");
    }

    [Fact]
    public async Task Issue_20_a_client_gives_a_joining_silo_only_a_small_share_of_coordination_while_it_receives_its_partitions()
    {
        var (cluster, keys, joined) = await JoinSlowlyAsync("coordinate");
        await using var _ = cluster;

        var client = await cluster.CreateClientAsync();
        var ring = await client.RefreshRingAsync();
        Assert.True(ring.Silos.Single(s => s.Name == joined.Name).IsJoining, $"{joined.Name} is not shown joining");
        // Keys whose preference list the new silo heads: with every silo up the client would send them there.
        var led = keys.Where(k => ring.PreferenceList("default", k)[0].Name == joined.Name).ToList();
        Assert.True(led.Count > 0, "no key has the joining silo first in its preference list");
        const int rounds = 10;
        int byJoined = 0;
        for (int round = 0; round < rounds; round++)
        {
            foreach (var key in led)
            {
                var got = await client.GetAsync(key);
                Assert.True(got.Found, $"{key} not found (coordinated by {got.Coordinator})");
                Assert.Contains(got.Coordinator, new[] { "silo0", joined.Name });
                if (got.Coordinator == joined.Name) byJoined++;
            }
        }
        // SiloEndpoint.JoiningShare (2 %) of the gets, far under the all it would take once up; a bound at 15 % stays
        // clear of chance even for a handful of keys (10 rounds).
        int gets = rounds * led.Count;
        Assert.True(byJoined <= Math.Max(5, gets * 15 / 100), $"{joined.Name} coordinated {byJoined} of {gets} gets while joining");
        Assert.NotEmpty(Transfer(joined).InboundPending()); // all of it while the join was still under way
        output.WriteLine($"{led.Count} keys led by {joined.Name}: {byJoined} of {gets} gets coordinated by it, the rest by silo0, while {Transfer(joined).InboundPending().Count} partitions were still inbound");
    }

    [Fact]
    public async Task Issue_20_a_client_read_that_asks_R_replicas_asks_a_joining_silo_last()
    {
        var (cluster, keys, joined) = await JoinSlowlyAsync("reads");
        await using var _ = cluster;

        // As under load (every read asks R=1 of the N=2 replicas), no speculation: the joining silo, which would read
        // through to the old owner, is asked only if the other fails.
        var client = await cluster.CreateClientAsync(o => (o.Coordination, o.AllReplicaReadsBelow, o.ReadSpeculationDelay) =
            (CoordinationMode.ClientReads, 0, Timeout.InfiniteTimeSpan));
        var ring = await client.RefreshRingAsync();
        Assert.True(ring.Silos.Single(s => s.Name == joined.Name).IsJoining, $"{joined.Name} is not shown joining");
        long before = joined.Runtime.Counters.Get(CounterNames.ClientReplicaReads);
        foreach (var key in keys)
        {
            var got = await client.GetAsync(key);
            Assert.True(got.Found, $"{key} not found");
            Assert.Equal("", got.Coordinator);
            Assert.Equal("silo0", got.Context.FastestReplica);
        }
        Assert.Equal(before, joined.Runtime.Counters.Get(CounterNames.ClientReplicaReads));
        Assert.NotEmpty(Transfer(joined).InboundPending()); // all of it while the join was still under way
    }

    [Fact]
    public async Task Issue_20_a_silo_that_only_sends_partitions_reads_as_usual_and_the_one_receiving_them_asks_every_replica()
    {
        var (cluster, _, joined) = await JoinSlowlyAsync("motion");
        await using var _ = cluster;

        Assert.True(Transfer(cluster[0]).Busy, "silo0 is not sending");
        var sender = cluster[0].Runtime.Coordinator.Motion!();
        Assert.False(sender.Moving, "a silo that only sends asks every replica");
        Assert.Contains(joined.Name, sender.Joining); // the new silo is still asked last
        Assert.True(joined.Runtime.Coordinator.Motion!().Moving, "the receiving silo reads only R replicas");
        Assert.NotEmpty(Transfer(joined).InboundPending());
    }

    [Fact]
    public async Task Issue_20_a_silo_that_holds_no_replica_of_a_key_forwards_its_request_to_a_replica_that_is_not_joining()
    {
        await using var cluster = await TestCluster.StartAsync(Options(partitions: 8, keysPerSecond: 2, pageSize: 1, silos: 2));
        var keys = await WriteAsync(cluster, "forward", 40);
        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        await WaitUntilReceivingAsync(joined);

        // Keys the new silo heads and one old silo no longer holds: a client still routing by the ring before the join
        // sends them to that old silo, which forwards them to a replica.
        var forwarded = new List<(string Key, string Forwarder, string Warm)>();
        foreach (var key in keys)
        {
            var replicas = cluster.PreferenceList("default", key, 2);
            if (replicas[0] != joined.Name) continue;
            if (new[] { "silo0", "silo1" }.FirstOrDefault(s => !replicas.Contains(s)) is { } forwarder) forwarded.Add((key, forwarder, replicas[1]));
        }
        Assert.True(forwarded.Count > 0, "no key is headed by the joining silo and held by only one old silo");

        foreach (var (key, forwarder, warm) in forwarded)
        {
            var got = await cluster.Silo(forwarder).Runtime.Coordinator.GetAsync(new GetCommand("default", key, R: 1), CancellationToken.None);
            Assert.True(got.Found, $"{key} not found through {forwarder}");
            Assert.Equal(warm, got.Coordinator);
        }
        Assert.NotEmpty(Transfer(joined).InboundPending()); // all of it while the join was still under way
        output.WriteLine($"{forwarded.Count} keys headed by {joined.Name}: each forwarded to the old replica beside it");
    }

    [Fact]
    public async Task While_its_inbound_transfer_runs_a_new_owner_reads_through_to_the_old_owner_and_shows_joining()
    {
        var (cluster, keys, joined) = await JoinSlowlyAsync("through");
        await using var _ = cluster;

        var ring = joined.Runtime.Membership.State.Ring!;
        int checkedKeys = 0;
        foreach (var key in keys)
        {
            var k = new DynamoKey("default", key);
            int partition = ring.PartitionOf(k);
            if (!Transfer(joined).InboundPending().Contains(partition) || await cluster.ReadStoreAsync(joined.Name, "default", key) is not null) continue;
            // The new owner's own replica answers with the old owner's value (a replica read, as another coordinator sends it)...
            var replica = await joined.Runtime.Coordinator.HandleReplicaReadAsync(new ReplicaRead(partition, k, "test"), CancellationToken.None);
            Assert.True(replica.Siblings is not null, $"{key}: the read-through to the old owner brought nothing");
            Assert.Equal("v-" + key, Encoding.UTF8.GetString(Assert.Single(replica.Siblings!.Siblings).Value));
            // ...and keeps it.
            Assert.NotNull(await cluster.ReadStoreAsync(joined.Name, "default", key));
            checkedKeys++;
        }
        Assert.True(checkedKeys >= 10, $"only {checkedKeys} keys were still in flight");

        // A get with R=1 coordinated by the new owner finds every key.
        foreach (var key in keys)
        {
            var got = await joined.Runtime.Coordinator.GetAsync(new GetCommand("default", key, R: 1), CancellationToken.None);
            Assert.True(got.Found, $"{key} not found with R=1 at {joined.Name}");
        }

        Assert.NotEmpty(Transfer(joined).InboundPending());
        var client = await cluster.CreateClientAsync();
        var selfView = await client.GetStatusAsync(joined.GrpcAddress);
        var senderView = await client.GetStatusAsync(cluster[0].GrpcAddress);
        output.WriteLine($"{checkedKeys} keys read through; {Transfer(joined).ReadThroughs} read-throughs; {Transfer(joined).InboundPending().Count} partitions still inbound; " +
                         $"{joined.Name} seen as {selfView.Silos.Single(s => s.Name == joined.Name).Status} by itself and {senderView.Silos.Single(s => s.Name == joined.Name).Status} by silo0");
        Assert.Equal("joining", selfView.Silos.Single(s => s.Name == joined.Name).Status);
        Assert.Equal("joining", senderView.Silos.Single(s => s.Name == joined.Name).Status);
        Assert.Equal("up", selfView.Silos.Single(s => s.Name == "silo0").Status);
    }

    [Theory]
    [InlineData(new[] { "s4", "a", "b" }, new[] { "a", "b", "c" }, new[] { "c" })] // a join: the displaced owner
    [InlineData(new[] { "a", "b", "d" }, new[] { "a", "b", "leaver" }, new[] { "leaver" })] // a leave: the leaver
    [InlineData(new[] { "s4", "s5", "a" }, new[] { "a", "b", "c" }, new[] { "b", "c" })] // two joined at once
    [InlineData(new[] { "a", "b" }, new[] { "a" }, new string[0])] // nothing displaced (a second silo, N=2): every holder
    [InlineData(new[] { "s4", "s5", "a" }, new[] { "a", "b" }, new string[0])] // N grew: fewer displaced than new owners
    public void Read_through_asks_the_replaced_owners_alone_only_when_they_are_as_many_as_the_new_owners(string[] owners, string[] old, string[] expected) =>
        Assert.Equal(expected, OwnershipTransferFeature.ReadFromOf(owners, old));

    [Fact]
    public async Task A_new_owner_reads_through_to_the_owner_it_replaces_only_one_message_per_read()
    {
        var options = Options(partitions: 8, keysPerSecond: 2, pageSize: 1);
        options.Silos = 3;
        await using var cluster = await TestCluster.StartAsync(options);
        var keys = await WriteAsync(cluster, "one", 60);
        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        await WaitUntilReceivingAsync(joined);

        var state = joined.Runtime.Membership.State;
        var transition = RingTransitionOf(joined);
        int checkedKeys = 0;
        foreach (var key in keys)
        {
            var k = new DynamoKey("default", key);
            int partition = state.Ring!.PartitionOf(k);
            if (!Transfer(joined).InboundPending().Contains(partition) || await cluster.ReadStoreAsync(joined.Name, "default", key) is not null) continue;
            var old = transition.OldReplicas(partition);
            var replaced = OwnershipTransferFeature.ReadFromOf(transition.Owners(partition), old);
            Assert.Single(replaced); // one silo joined three with N=2: it takes one old owner's place
            var servedBefore = old.ToDictionary(s => s, s => Transfer(cluster.Silo(s)).ReadThroughsServed);
            var replica = await joined.Runtime.Coordinator.HandleReplicaReadAsync(new ReplicaRead(partition, k, "test"), CancellationToken.None);
            Assert.Equal("v-" + key, Encoding.UTF8.GetString(Assert.Single(replica.Siblings!.Siblings).Value));
            // The partition's last page may have landed between the check above and the read: then nothing was read
            // through. Still pending after the read, it was pending during it.
            if (!Transfer(joined).InboundPending().Contains(partition)) continue;
            foreach (var s in old)
                Assert.Equal(servedBefore[s] + (s == replaced[0] ? 1 : 0), Transfer(cluster.Silo(s)).ReadThroughsServed);
            checkedKeys++;
        }
        output.WriteLine($"{checkedKeys} keys read through, each from the one owner replaced");
        Assert.True(checkedKeys >= 5, $"only {checkedKeys} keys were still in flight");
    }

    /// <summary>
    /// Issue 20: a silo shows a new member "joining" until that member has received every partition, from every sender,
    /// not only until this silo has sent its own share. Clients read the ring from any silo and start a silo's
    /// coordinator ramp when it stops showing joining, so a sender that finished first must not end the join for them.
    /// </summary>
    [Fact]
    public async Task A_sender_that_finished_first_shows_the_new_silo_joining_until_it_has_received_from_every_sender()
    {
        await using var cluster = await TestCluster.StartAsync(Options(partitions: 8, keysPerSecond: 1, pageSize: 1, silos: 2));
        await WriteAsync(cluster, "joining", 80);
        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        await WaitUntilReceivingAsync(joined);

        // The sender with less to send finishes at once; the other keeps sending at a key a second.
        async Task<int> ToSendAsync(TestSilo silo) => (await Transfer(silo).ReportAsync(CancellationToken.None)).PartitionsToSend;
        // A sender's plan is built by its first pass after the join: until then it reports nothing to send.
        await TestCluster.WaitUntilAsync(async () => Math.Max(await ToSendAsync(cluster[0]), await ToSendAsync(cluster[1])) > 0,
            TimeSpan.FromSeconds(15), $"a sender's plan for {joined.Name}");
        var (fast, slow) = await ToSendAsync(cluster[0]) <= await ToSendAsync(cluster[1]) ? (cluster[0], cluster[1]) : (cluster[1], cluster[0]);
        Assert.True(await ToSendAsync(slow) > 0, $"{slow.Name} has nothing to send to {joined.Name}");
        fast.Runtime.Options.Transfer.KeysPerSecond = 100_000;
        fast.Runtime.Options.Transfer.PageSize = 100;
        await TestCluster.WaitUntilAsync(async () => await ToSendAsync(fast) == 0, TimeSpan.FromSeconds(15), $"{fast.Name} to finish sending");

        string StatusSeenBy(TestSilo viewer) => viewer.Runtime.StatusOf(viewer.Runtime.Membership.State.Member(joined.Name)!, showJoining: true);
        // Asked twice over more than a second: the second answer comes from what the new silo itself said.
        Assert.Equal("joining", StatusSeenBy(fast));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        int pending = Transfer(joined).InboundPending().Count;
        Assert.True(pending > 0, $"{slow.Name} finished before the check; the test needs it still sending");
        Assert.Equal("joining", StatusSeenBy(fast));
        output.WriteLine($"{fast.Name} had sent everything and still showed {joined.Name} joining, {pending} partitions still inbound from {slow.Name}");

        slow.Runtime.Options.Transfer.KeysPerSecond = 100_000;
        slow.Runtime.Options.Transfer.PageSize = 100;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(joined).InboundPending().Count == 0), TimeSpan.FromSeconds(30),
            $"{joined.Name} to receive every partition");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(StatusSeenBy(fast) == "up" && StatusSeenBy(slow) == "up" && StatusSeenBy(joined) == "up"),
            TimeSpan.FromSeconds(15), $"every silo to show {joined.Name} up");
    }

    private static RingTransition RingTransitionOf(TestSilo silo) =>
        RingTransition.Of(silo.Runtime.Membership.History, 2) ?? throw new InvalidOperationException($"{silo.Name} has no ring transition");
}
