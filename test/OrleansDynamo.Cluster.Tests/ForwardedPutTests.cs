using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.TestingHost;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// A silo that is not a replica of a key forwards the put to a replica, which coordinates it (makes its dot). When that
/// coordinator ran the put but its answer never came back, sending the put on to the next replica would coordinate it a
/// second time: the same value under two dots, a sibling a reader may never see and so cannot delete (found by the
/// fault run as a deleted key that came back). The forwarder goes on only when the call never reached the coordinator.
/// </summary>
public sealed class ForwardedPutTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_forwarded_put_whose_answer_is_lost_is_coordinated_once_and_the_caller_told_it_may_have_landed()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, N = 2, R = 2, W = 2, PartitionCount = 16,
            Configure = (_, o) =>
            {
                o.Hints.DeliveryIntervalMs = 600_000;
                o.AntiEntropy.Enabled = false;
            },
        });
        await cluster.WaitForTransfersAsync(Bound);
        const string forwarder = "silo0";
        string key = Enumerable.Range(0, 200).Select(i => $"fwd-{i}").First(k => !cluster.PreferenceList("default", k, 2).Contains(forwarder));
        var replicas = cluster.PreferenceList("default", key, 2);
        // Requests from the forwarder reach both replicas; their answers to it are lost.
        foreach (var replica in replicas) cluster.Cut(replica, forwarder, oneWay: true);

        var refused = await Assert.ThrowsAsync<DynamoException>(() =>
            cluster.Silo(forwarder).Runtime.Coordinator.PutAsync(new PutCommand("default", key, "once"u8.ToArray(), null), CancellationToken.None));
        Assert.Equal(DynamoErrorKind.Unavailable, refused.Kind);
        Assert.Contains("answer", refused.Message);

        // The first replica coordinated it and wrote both replicas (W=2) before answering: one dot, nowhere a second.
        foreach (var replica in replicas)
        {
            var stored = await cluster.ReadStoreAsync(replica, "default", key);
            Assert.NotNull(stored);
            Assert.Equal("once", System.Text.Encoding.UTF8.GetString(Assert.Single(stored!.Siblings).Value));
        }
        Assert.Null(await cluster.ReadStoreAsync(forwarder, "default", key));
    }
}
