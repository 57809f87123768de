using System.Text;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Storage;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 9: a put's replica writes go out while the coordinator's own write commits, and the put is
/// answered only once that local write is durable.
/// </summary>
public sealed class PutOverlapTests
{
    [Fact]
    public async Task Replicas_receive_the_version_before_the_coordinators_commit_and_the_put_waits_for_it()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3,
            RequestTimeoutMs = 10_000,
            WrapStore = (silo, inner) => silo == "silo0" ? new GatedKey(inner, "held", gate.Task) : inner,
        });
        // Straight to silo0's coordinator: no client routing or retry can pick another coordinator.
        var coordinator = cluster.Silo("silo0").Runtime.Coordinator;
        var put = coordinator.PutAsync(new PutCommand("default", "held", Encoding.UTF8.GetBytes("v1"), null), CancellationToken.None);
        await TestCluster.WaitUntilAsync(async () =>
            await cluster.ReadStoreAsync("silo1", "default", "held") is not null &&
            await cluster.ReadStoreAsync("silo2", "default", "held") is not null,
            TimeSpan.FromSeconds(10), "the replica writes while silo0's own write is held");
        Assert.False(put.IsCompleted, $"the put was answered before the coordinator's write was durable: {(put.IsCompleted ? put.Exception?.GetBaseException().Message ?? "ok" : "")}");
        Assert.Null(await cluster.ReadStoreAsync("silo0", "default", "held"));

        gate.SetResult();
        var outcome = await put.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("silo0", outcome.Coordinator);
        Assert.True(outcome.ReplicasAcked >= 2);
        Assert.NotNull(await cluster.ReadStoreAsync("silo0", "default", "held"));
        var got = await coordinator.GetAsync(new GetCommand("default", "held"), CancellationToken.None);
        Assert.Equal("v1", Encoding.UTF8.GetString(Assert.Single(got.Siblings).Value));
    }

    [Fact]
    public async Task A_silo_stopped_cleanly_keeps_its_dot_epoch_in_full_durability()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 1, N = 1, R = 1, W = 1,
            Configure = (_, o) => o.Durability = DurabilityMode.Full,
        });
        var before = cluster.Silo("silo0").Runtime.Replicas.Epoch;
        Assert.True(before.AllowsEarlySends);
        Assert.Equal(0, before.Epoch);
        await cluster.RestartSiloAsync("silo0");
        Assert.False(before.AllowsEarlySends, "the stopped incarnation still let versions out before their commit");
        Assert.Equal(0, cluster.Silo("silo0").Runtime.Replicas.Epoch.Epoch);
    }

    /// <summary>Holds silo0's writes of one key until the gate opens.</summary>
    private sealed class GatedKey(IPartitionStore inner, string key, Task gate) : DelegatingPartitionStore(inner)
    {
        public override async ValueTask WriteAsync(int partition, DynamoKey k, SiblingSet siblings, CancellationToken cancellationToken = default)
        {
            if (k.Key == key) await gate;
            await Inner.WriteAsync(partition, k, siblings, cancellationToken);
        }
    }
}
