using System.Diagnostics;
using Microsoft.Data.Sqlite;
using OrleansDynamo.Client;
using OrleansDynamo.Storage.Sqlite;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Issue 15, item 4: one hint that does not decode is quarantined and never stops the hints behind it.</summary>
public sealed class HintQuarantineTests(ITestOutputHelper output)
{
    private const string Target = "silo2";

    [Fact]
    public async Task A_planted_undecodable_hint_is_quarantined_and_every_other_hint_is_still_delivered()
    {
        // Batches of 2: the planted row sits in a batch of its own target's hints, with batches before and after it.
        await using var cluster = await TestCluster.StartAsync(Options(3, (_, o) => o.Hints.BatchSize = 2));
        await cluster.StopSiloAsync(Target);
        await WaitUnreachableAsync(cluster, "silo0", Target);
        await WaitUnreachableAsync(cluster, "silo1", Target);
        var client = await cluster.CreateClientAsync();

        const int puts = 8;
        string[] keys = [.. Enumerable.Range(0, puts).Select(i => "quarantine-" + i)];
        foreach (var key in keys[..(puts / 2)]) await client.PutAsync("default", key, "v-" + key, options: new PutOptions { W = 2 });
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Sum(cluster, "hints_stored:" + Target) >= puts / 2), Bound, "a hint per put of the first half");

        string holder = "";
        foreach (var s in cluster.Running)
        {
            if (await HintsForAsync(cluster, s.Name, Target) > 0) holder = s.Name;
        }
        var (plantedId, plantedBlob) = PlantDamagedHint(cluster.Silo(holder));
        foreach (var key in keys[(puts / 2)..]) await client.PutAsync("default", key, "v-" + key, options: new PutOptions { W = 2 });
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Sum(cluster, "hints_stored:" + Target) >= puts), Bound, "a hint per put");
        Assert.Equal(puts, Sum(cluster, "hints_stored:" + Target));

        var restarted = Stopwatch.StartNew();
        await cluster.RestartSiloAsync(Target);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(
                Sum(cluster, "hints_delivered:" + Target) >= puts && Sum(cluster, "hints_quarantined:" + Target) >= 1),
            Bound, $"{puts} hints delivered to {Target} and the planted one quarantined");
        output.WriteLine($"delivered and quarantined {restarted.ElapsedMilliseconds} ms after {Target} restarted");

        Assert.Equal(puts, Sum(cluster, "hints_delivered:" + Target));
        Assert.Equal(1, Sum(cluster, "hints_quarantined:" + Target));
        Assert.Equal(1, Sum(cluster, "hints_quarantined"));
        foreach (var key in keys) Assert.True(await StoreHoldsAsync(cluster, Target, key, "v-" + key), $"{Target} holds {key}");
        Assert.Equal(0, await AllHintsAsync(cluster));

        var quarantined = Assert.Single(await cluster.Silo(holder).Runtime.Store.Hints.ListQuarantinedAsync(0, 10));
        Assert.Equal((plantedId, Target, "planted"), (quarantined.Id, quarantined.TargetSilo, quarantined.Key.Key));
        Assert.Equal(plantedBlob, quarantined.Blob);
        Assert.Contains("checksum mismatch", quarantined.Reason);
        foreach (var s in cluster.Running.Where(s => s.Name != holder))
            Assert.Empty(await s.Runtime.Store.Hints.ListQuarantinedAsync(0, 10));
    }

    /// <summary>
    /// Writes, through a second connection to the running silo's database, a copy of one of its hints for
    /// <see cref="Target"/> under key "planted" whose bytes no longer match their checksum (a bit flipped on disk).
    /// </summary>
    private static (long Id, byte[] Blob) PlantDamagedHint(TestSilo holder)
    {
        byte[] blob = [0x7F, 0xDE, 0xAD];
        string path = new SqliteStoreOptions { DataDirectory = holder.Options.DataDirectory }.DatabasePath;
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO hints (target, partition_id, bucket, key_name, blob, created_at, crc) " +
                          "SELECT target, partition_id, bucket, 'planted', $blob, created_at, 0 FROM hints WHERE target = $target ORDER BY id LIMIT 1 RETURNING id;";
        cmd.Parameters.AddWithValue("$blob", blob);
        cmd.Parameters.AddWithValue("$target", Target);
        return ((long)cmd.ExecuteScalar()!, blob);
    }

    private static long Sum(TestCluster cluster, string counter) => cluster.Running.Sum(s => s.Runtime.Counters.Get(counter));
}
