using System.Text;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.TestingHost;
using Xunit;
using static OrleansDynamo.Cluster.Tests.AlwaysWriteableCluster;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 16: a coordinated write's replicas answer with an acknowledgement only, not their merged set (a kilobyte or more
/// per replica per put that the coordinator never read); a hint's delivery still gets the set it needs.
/// </summary>
public sealed class ReplicaWriteAckTests
{
    [Fact]
    public async Task An_ack_only_replica_write_is_stored_and_answered_without_the_set_and_a_plain_one_returns_the_merged_set()
    {
        await using var cluster = await TestCluster.StartAsync(Options(2));
        var sender = cluster.Silo("silo0").Runtime;
        var receiver = cluster.Silo("silo1").Runtime;
        var key = new DynamoKey("default", "ack-only");
        int partition = key.Hash.Partition(receiver.Options.PartitionCount);
        SiblingSet Version(string node, string value) =>
            SiblingSet.Empty.Update(VectorClock.Empty, node, Encoding.UTF8.GetBytes(value), false, 1700000000000);
        var first = Version("silo0", "one");
        var second = Version("silo9", "two");

        var acked = await sender.Transport.SendAsync("silo1", new ReplicaWrite(partition, key, first, ConflictPolicy.Siblings, null, "silo0", AckOnly: true),
            TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Null(acked.Stored);
        Assert.Equal(first, await receiver.Store.ReadAsync(partition, key));

        var full = await sender.Transport.SendAsync("silo1", new ReplicaWrite(partition, key, second, ConflictPolicy.Siblings, null, "silo0"),
            TimeSpan.FromSeconds(10), CancellationToken.None);
        var merged = first.Merge(second);
        Assert.Equal(merged, full.Stored);
        Assert.Equal(merged, await receiver.Store.ReadAsync(partition, key));
    }
}
