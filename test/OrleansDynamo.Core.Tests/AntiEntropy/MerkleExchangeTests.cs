using FsCheck.Xunit;
using OrleansDynamo.Core.AntiEntropy;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Core.Tests.AntiEntropy;

public sealed class MerkleExchangeTests(ITestOutputHelper output)
{
    [Property(MaxTest = 300)]
    public void Exchange_and_segment_diff_find_exactly_the_differing_keys(int seed, byte keys, byte differences, bool smallShape)
    {
        var rng = new Random(seed);
        var shape = smallShape ? new MerkleShape(rng.Next(2, 5), rng.Next(1, 4)) : MerkleShape.Default;
        var local = TreeFixtures.RandomReplica(rng, keys * 4);
        var (remote, touched) = TreeFixtures.Diverge(rng, local, differences % 40);

        var (found, ex) = TreeFixtures.Sync(local, remote, shape);

        Assert.True(ex.IsDone, $"seed {seed}");
        Assert.Equal(touched.OrderBy(k => k), found.Select(d => d.Key));
        foreach (var d in found)
        {
            Assert.Equal(local.TryGetValue(d.Key, out var l) ? l : null, d.LocalDigest);
            Assert.Equal(remote.TryGetValue(d.Key, out var r) ? r : null, d.RemoteDigest);
        }
    }

    [Fact]
    public void Equal_trees_exchange_only_the_root()
    {
        var replica = TreeFixtures.RandomReplica(new Random(1), 5000);
        var ex = TreeFixtures.Exchange(TreeFixtures.Tree(replica), TreeFixtures.Tree(replica));
        Assert.Empty(ex.DifferingSegments);
        Assert.Equal(1, ex.HashesExchanged);
        Assert.Equal(1, ex.Rounds);
    }

    [Fact]
    public void A_single_difference_descends_one_path()
    {
        var rng = new Random(2);
        var local = TreeFixtures.RandomReplica(rng, 5000);
        var (remote, touched) = TreeFixtures.Diverge(rng, local, 1);
        var (found, ex) = TreeFixtures.Sync(local, remote);
        var shape = MerkleShape.Default;
        Assert.Equal(touched.Single(), found.Single().Key);
        Assert.Equal(1 + shape.FanOut * shape.Depth, ex.HashesExchanged);
        Assert.Equal(shape.Depth + 1, ex.Rounds);
    }

    [Fact]
    public void Hashes_exchanged_grow_with_differences_not_with_keys()
    {
        var shape = MerkleShape.Default;
        long Measure(int keys, int differences)
        {
            var rng = new Random(keys * 31 + differences);
            var local = TreeFixtures.RandomReplica(rng, keys);
            var (remote, touched) = TreeFixtures.Diverge(rng, local, differences);
            var (found, ex) = TreeFixtures.Sync(local, remote, shape);
            Assert.Equal(touched.Count, found.Length);
            output.WriteLine($"{keys,7} keys, {differences,5} differences: {ex.HashesExchanged,5} hashes exchanged in {ex.Rounds} rounds, {ex.DifferingSegments.Length} segments differ");
            Assert.True(ex.HashesExchanged <= (long)differences * shape.FanOut * shape.Depth + shape.FanOut,
                $"{ex.HashesExchanged} hashes for {differences} differences");
            return ex.HashesExchanged;
        }

        long small10 = Measure(1_000, 10);
        long large10 = Measure(100_000, 10);
        long large1000 = Measure(100_000, 1_000);
        Measure(100_000, 0);
        Measure(100_000, 1);
        Measure(100_000, 100);

        Assert.True(large10 * 5 < large1000, $"10 differences cost {large10}, 1000 cost {large1000}");
        Assert.InRange(large10, small10 / 2, small10 * 2);
    }

    [Fact]
    public void Protocol_misuse_is_refused()
    {
        var tree = new MerkleTree();
        var ex = new MerkleExchange(tree);
        Assert.Throws<InvalidOperationException>(() => ex.OnResponse([0UL]));
        var request = ex.Start();
        Assert.Throws<InvalidOperationException>(() => ex.Start());
        Assert.Throws<InvalidOperationException>(() => ex.DifferingSegments);
        Assert.Throws<ArgumentException>(() => ex.OnResponse([0UL, 1UL]));
        Assert.Null(ex.OnResponse(tree.Answer(request)));
        Assert.Throws<InvalidOperationException>(() => ex.OnResponse([0UL]));
    }
}
