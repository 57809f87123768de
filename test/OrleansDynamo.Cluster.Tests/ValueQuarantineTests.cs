using System.Text;
using Microsoft.Data.Sqlite;
using OrleansDynamo.Client;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Transfer;
using OrleansDynamo.Storage;
using OrleansDynamo.Storage.Sqlite;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;
using static OrleansDynamo.Cluster.Tests.AntiEntropyTestKit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 15, item 4 for stored values: one stored value whose bytes do not decode is quarantined and counted, and
/// never stops the tree build, anti-entropy or the transfer of the rest of its partition; read repair and anti-entropy
/// bring it back from the other replicas.
/// </summary>
public sealed class ValueQuarantineTests(ITestOutputHelper output)
{
    private const int Q = 8;
    private const string Victim = "victim";

    private static int PartitionOf(string key) => new DynamoKey("default", key).Hash.Partition(Q);

    [Fact]
    public async Task A_damaged_value_is_quarantined_by_the_tree_build_and_anti_entropy_brings_it_back_with_the_rest_of_its_partition()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q,
            Configure = (_, o) =>
            {
                ShortSchedule(o);
                // The graceful restart below restores silo2's trees as they were at the stop; one older than this is built
                // again from the store before its next exchange, and that scan finds the value damaged at rest.
                o.AntiEntropy.TreeMaxAgeMs = 1;
            },
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        var old = Enumerable.Range(0, 200).Select(i => $"old-{i}").Append(Victim).ToList();
        await PutAsync(silo0, old, ValueOf);
        await TestCluster.WaitUntilAsync(async () => await DifferenceAsync(cluster) is null, Bound, "every replica to hold the first keys");

        // silo2 misses the next writes (their hints are dropped), and while it is down a bit of the victim's value flips.
        await cluster.StopSiloAsync("silo2");
        var added = Enumerable.Range(0, 100).Select(i => $"new-{i}").ToList();
        await PutAsync(silo0, added, ValueOf);
        await ClearHintsAsync(cluster);
        byte[] damaged = FlipAByteOfTheValue(cluster.Silo("silo2"), Victim);
        int p = PartitionOf(Victim);
        var addedInP = added.Where(k => PartitionOf(k) == p).ToList();
        Assert.NotEmpty(addedInP);

        Assert.Equal(0, CountStored(cluster.Silo("silo2"), added));

        await cluster.RestartSiloAsync("silo2");
        var silo2 = cluster.Silo("silo2");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo2.AntiEntropy().TreeRoot(new TreeId(p, 3)) is not null), Bound,
            $"silo2 to build the tree of partition {p}, which holds the damaged value");
        await TestCluster.WaitUntilAsync(async () => await DifferenceAsync(cluster) is null, TimeSpan.FromSeconds(45),
            "anti-entropy to make the replicas equal");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(silo2.Runtime.Counters.Get(CounterNames.ValuesQuarantined) >= 1), Bound,
            "the damaged value to be counted");

        Assert.Equal(1, silo2.Runtime.Counters.Get(CounterNames.ValuesQuarantined));
        Assert.Equal(1, Sum(cluster, CounterNames.ValuesQuarantined));
        foreach (var k in addedInP.Append(Victim))
            Assert.Equal(ValueOf(k), Assert.Single((await cluster.ReadStoreAsync("silo2", "default", k))!.Siblings).Value);
        var quarantined = Assert.Single(await silo2.Runtime.Store.ListQuarantinedAsync(0, 10));
        Assert.Equal((p, new DynamoKey("default", Victim)), (quarantined.Partition, quarantined.Key));
        Assert.Equal(damaged, quarantined.Blob);
        Assert.Contains("checksum mismatch", quarantined.Reason);
        output.WriteLine($"quarantined {quarantined.Key} of partition {p}: {quarantined.Reason}; {addedInP.Count} other key(s) of it repaired too");

        // The tree of the partition is the tree of what silo2 stores now, the restored value included.
        var entries = new List<(KeyHash, ulong)>();
        ScanCursor? cursor = null;
        do
        {
            var page = await silo2.Runtime.Store.ScanAsync(p, cursor, 1000);
            Assert.Empty(page.Undecodable);
            entries.AddRange(page.Entries.Select(e => (e.Hash, VersionDigest.Of(e.Siblings))));
            cursor = page.Next;
        } while (cursor is not null);
        var expected = MerkleTree.Build(entries);
        Assert.Equal((expected.Root, expected.KeyCount), silo2.AntiEntropy().TreeRoot(new TreeId(p, 3))!.Value);
    }

    [Fact]
    public async Task A_damaged_value_reads_as_absent_on_its_replica_so_the_get_succeeds_and_read_repair_writes_it_back()
    {
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) =>
        {
            o.AntiEntropy.Enabled = false; // only read repair may bring the value back
            o.Hints.DeliveryIntervalMs = 600_000;
        }));
        await cluster.WaitForTransfersAsync(Bound);
        var client = await cluster.CreateClientAsync();
        await client.PutAsync("default", Victim, "the value", options: new PutOptions { W = 3 });
        string damagedOn = cluster.PreferenceList("default", Victim, 3)[1];
        FlipAByteOfTheValue(cluster.Silo(damagedOn), Victim);
        await Assert.ThrowsAsync<UndecodableValueException>(() => cluster.ReadStoreAsync(damagedOn, "default", Victim));

        // Every replica must answer (R = 3): the damaged one answers "absent", not an error.
        var got = await client.GetAsync("default", Victim, new GetOptions { R = 3 });
        Assert.Equal("the value", Assert.Single(got.Siblings).ValueAsString);
        await TestCluster.WaitUntilAsync(() => StoreHoldsAsync(cluster, damagedOn, Victim, "the value"), Bound, $"read repair of {damagedOn}");

        var silo = cluster.Silo(damagedOn).Runtime;
        Assert.Equal(1, silo.Counters.Get(CounterNames.ValuesQuarantined));
        Assert.Equal(1, cluster.Running.Sum(s => s.Runtime.Counters.Get(CounterNames.ValuesQuarantined)));
        Assert.True(cluster.Running.Sum(s => s.Runtime.Counters.Get(CounterNames.ReadRepairs)) >= 1);
        Assert.Equal(Victim, Assert.Single(await silo.Store.ListQuarantinedAsync(0, 10)).Key.Key);
        var again = await client.GetAsync("default", Victim, new GetOptions { R = 3 });
        Assert.Equal("the value", Assert.Single(again.Siblings).ValueAsString);
    }

    [Fact]
    public async Task A_transfer_skips_and_quarantines_a_damaged_value_and_moves_every_other_key_of_its_partition()
    {
        // One silo holds every key (N = 2); the second to join becomes a replica of every partition, streamed from the first.
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, PartitionCount = Q, N = 2, R = 1, W = 1,
            Configure = (_, o) =>
            {
                o.Transfer.IntervalMs = 100;
                o.Transfer.PageSize = 5;
                o.AntiEntropy.Enabled = false; // only the transfer may move keys here
            },
        });
        var sender = cluster.Silo("silo0");
        var keys = Enumerable.Range(0, 80).Select(i => $"moved-{i}").Append(Victim).ToList();
        foreach (var key in keys)
            await sender.Runtime.Coordinator.PutAsync(new PutCommand("default", key, ValueOf(key), null, W: 1), CancellationToken.None);
        byte[] damaged = FlipAByteOfTheValue(sender, Victim);

        var joined = await cluster.AddSiloAsync();
        var transfer = joined.Runtime.Feature<OwnershipTransferFeature>()!;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(transfer.InboundPending().Count > 0), Bound, $"{joined.Name} to see its inbound transfers");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(transfer.InboundPending().Count == 0), TimeSpan.FromSeconds(60),
            "every partition, the damaged value's included, to be transferred");

        int p = PartitionOf(Victim);
        foreach (var key in keys.Where(k => k != Victim))
            Assert.Equal(ValueOf(key), Assert.Single((await cluster.ReadStoreAsync(joined.Name, "default", key))!.Siblings).Value);
        Assert.Contains(keys, k => k != Victim && PartitionOf(k) == p);
        Assert.Equal(keys.Count - 1, (await joined.Runtime.Store.SummarizeAllAsync()).Sum(s => s.KeyCount));
        // The only replica of the victim was damaged: it is gone from the cluster, and its bytes wait in the sender's quarantine.
        Assert.Null(await cluster.ReadStoreAsync(joined.Name, "default", Victim));
        Assert.Null(await cluster.ReadStoreAsync(sender.Name, "default", Victim));
        Assert.Equal(1, sender.Runtime.Counters.Get(CounterNames.ValuesQuarantined));
        var quarantined = Assert.Single(await sender.Runtime.Store.ListQuarantinedAsync(0, 10));
        Assert.Equal((p, Victim), (quarantined.Partition, quarantined.Key.Key));
        Assert.Equal(damaged, quarantined.Blob);
    }

    private static byte[] ValueOf(string key) => Encoding.UTF8.GetBytes("value of " + key);

    private static SqliteConnection OpenDatabase(TestSilo silo)
    {
        var c = new SqliteConnection($"Data Source={new SqliteStoreOptions { DataDirectory = silo.Options.DataDirectory }.DatabasePath};Pooling=False");
        c.Open();
        return c;
    }

    /// <summary>How many of <paramref name="keys"/> a silo's silo.db holds, read through a second connection (the silo may be stopped).</summary>
    private static int CountStored(TestSilo silo, IEnumerable<string> keys)
    {
        using var c = OpenDatabase(silo);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM kv WHERE bucket = 'default' AND key_name = $k;";
        var k = cmd.Parameters.Add("$k", SqliteType.Text);
        int n = 0;
        foreach (var key in keys)
        {
            k.Value = key;
            n += Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return n;
    }

    /// <summary>
    /// Flips one bit of a key's stored value in a silo's silo.db through a second connection (the silo running or
    /// not), as a damaged disk would: the value's checksum no longer matches. Returns the damaged bytes.
    /// </summary>
    private static byte[] FlipAByteOfTheValue(TestSilo silo, string key)
    {
        using var c = OpenDatabase(silo);
        using var read = c.CreateCommand();
        read.CommandText = "SELECT blob FROM kv WHERE bucket = 'default' AND key_name = $k;";
        read.Parameters.AddWithValue("$k", key);
        var blob = (byte[])read.ExecuteScalar()!;
        blob[^1] ^= 0x01;
        using var write = c.CreateCommand();
        write.CommandText = "UPDATE kv SET blob = $b WHERE bucket = 'default' AND key_name = $k;";
        write.Parameters.AddWithValue("$b", blob);
        write.Parameters.AddWithValue("$k", key);
        Assert.Equal(1, write.ExecuteNonQuery());
        return blob;
    }
}
