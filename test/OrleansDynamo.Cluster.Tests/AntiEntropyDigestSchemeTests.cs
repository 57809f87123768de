using System.Collections.Immutable;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.Silo.Transport;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.TestingHost;
using Xunit;
using static OrleansDynamo.Cluster.Tests.AntiEntropyTestKit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 16: version digests no longer read the value (scheme 2). A silo of the release before computes scheme 1, so
/// during a rolling upgrade the two would find every key different; a silo refuses to compare trees with a peer of
/// another scheme instead, and names the reason.
/// </summary>
public sealed class AntiEntropyDigestSchemeTests
{
    private const int Q = 8;

    [Fact]
    public async Task A_peer_refuses_every_tree_request_of_another_digest_scheme_and_answers_its_own()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3, PartitionCount = Q,
            Configure = (_, o) => ShortSchedule(o, exchangeIntervalMs: 600_000), // exchanges only when asked
        });
        var silo0 = cluster.Silo("silo0").Runtime;
        await PutAsync(silo0, Enumerable.Range(0, 200).Select(i => $"k-{i}"), k => Value(k.Length, 64));
        await cluster.Silo("silo1").AntiEntropy().RepairNowAsync(-1, TimeSpan.FromSeconds(30), CancellationToken.None);
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Silo("silo1").AntiEntropy().Status().TreesReady == Q),
            TimeSpan.FromSeconds(30), "every tree of silo1 built");

        var id = new TreeId(0, 3);
        var shape = new SiloOptions().AntiEntropy.Shape;
        Task<TResponse> Send<TResponse>(ISiloRequest<TResponse> request) where TResponse : notnull =>
            silo0.Transport.SendAsync("silo1", request, TimeSpan.FromSeconds(10), CancellationToken.None);

        // This release's scheme: the peer answers from its built tree, and says which scheme it computed it by.
        var current = new TreeRef(id, shape.FanOut, shape.Depth, VersionDigest.Scheme);
        var root = await Send(new MerkleHashesQuery(current, 0, [], "silo0"));
        Assert.True(root.Ready);
        Assert.Equal(VersionDigest.Scheme, root.DigestScheme);
        Assert.Equal(cluster.Silo("silo1").AntiEntropy().TreeRoot(id)!.Value.Root, Assert.Single(root.Hashes));
        Assert.Equal(VersionDigest.Scheme, (await Send(new SegmentKeysQuery(current, [0], "silo0"))).DigestScheme);

        // Scheme 1, sent as 1 or (by the release before, which sent no scheme) as 0: every request is refused, and nothing merged.
        foreach (int sent in new[] { 1, 0 })
        {
            var old = new TreeRef(id, shape.FanOut, shape.Depth, sent);
            var requests = new Func<Task>[]
            {
                () => Send(new MerkleHashesQuery(old, 0, [], "silo0")),
                () => Send(new SegmentKeysQuery(old, [0], "silo0")),
                () => Send(new RepairKeys(old, [], [], "silo0")),
                () => Send(new TombstoneGc(old, [], false, ImmutableArray<string>.Empty, "silo0")),
            };
            foreach (var request in requests)
            {
                var refused = await Assert.ThrowsAsync<DynamoException>(request);
                Assert.Equal(DynamoErrorKind.FailedPrecondition, refused.Kind);
                Assert.Contains($"by scheme {VersionDigest.Scheme} and the peer by scheme 1", refused.Message);
            }
        }
    }
}
