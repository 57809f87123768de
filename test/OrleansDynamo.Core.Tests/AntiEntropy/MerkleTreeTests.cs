using FsCheck.Xunit;
using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using Xunit;

namespace OrleansDynamo.Core.Tests.AntiEntropy;

public sealed class MerkleTreeTests
{
    [Property(MaxTest = 200)]
    public void Incremental_updates_give_the_root_of_a_full_build(int seed, byte operations, bool smallShape)
    {
        var rng = new Random(seed);
        var shape = smallShape ? new MerkleShape(rng.Next(2, 6), rng.Next(1, 4)) : MerkleShape.Default;
        var tree = new MerkleTree(shape);
        var model = new Dictionary<KeyHash, ulong>();
        var keys = Enumerable.Range(0, 1 + operations / 4).Select(_ => TreeFixtures.RandomKey(rng)).ToArray();
        for (int i = 0; i < operations * 3; i++)
        {
            var key = keys[rng.Next(keys.Length)];
            ulong? old = model.TryGetValue(key, out var d) ? d : null;
            ulong? next = rng.Next(4) == 0 ? null : TreeFixtures.RandomDigest(rng);
            tree.Update(key, old, next);
            if (next is ulong n) model[key] = n; else model.Remove(key);
        }

        var built = TreeFixtures.Tree(model, shape);
        Assert.Equal(built.Root, tree.Root);
        Assert.Equal(model.Count, tree.KeyCount);
        for (int level = 0; level <= shape.Depth; level++)
        {
            var all = Enumerable.Range(0, shape.NodesAt(level)).ToArray();
            Assert.Equal(built.Hashes(level, all), tree.Hashes(level, all));
        }
    }

    [Property(MaxTest = 100)]
    public void Build_does_not_depend_on_order(int seed)
    {
        var rng = new Random(seed);
        var entries = TreeFixtures.RandomReplica(rng, rng.Next(0, 300)).Select(kv => (kv.Key, kv.Value)).ToList();
        var shuffled = entries.OrderBy(_ => rng.Next()).ToList();
        Assert.Equal(MerkleTree.Build(entries).Root, MerkleTree.Build(shuffled).Root);
    }

    [Fact]
    public void Removing_every_key_returns_to_the_empty_root()
    {
        var rng = new Random(3);
        var replica = TreeFixtures.RandomReplica(rng, 500);
        var tree = TreeFixtures.Tree(replica);
        Assert.NotEqual(new MerkleTree().Root, tree.Root);
        foreach (var (key, digest) in replica) tree.Update(key, digest, null);
        Assert.Equal(new MerkleTree().Root, tree.Root);
        Assert.Equal(0, tree.KeyCount);
    }

    [Fact]
    public void A_changed_digest_changes_the_root_and_only_its_path()
    {
        var rng = new Random(4);
        var replica = TreeFixtures.RandomReplica(rng, 200);
        var tree = TreeFixtures.Tree(replica);
        var before = tree.Clone();
        var (key, digest) = replica.First();
        tree.Update(key, digest, digest + 1);
        Assert.NotEqual(before.Root, tree.Root);
        int segment = tree.SegmentOf(key);
        var leaves = Enumerable.Range(0, tree.Shape.Segments).ToArray();
        var changed = leaves.Where(i => tree.Hash(tree.Shape.Depth, i) != before.Hash(tree.Shape.Depth, i));
        Assert.Equal(new[] { segment }, changed);
    }

    [Fact]
    public void Children_are_the_hashes_of_the_next_level()
    {
        var tree = TreeFixtures.Tree(TreeFixtures.RandomReplica(new Random(5), 100), new MerkleShape(4, 3));
        Assert.Equal(tree.Hashes(2, [4, 5, 6, 7, 12, 13, 14, 15]), tree.Children(1, [1, 3]));
        Assert.Equal(tree.Hashes(1, [0, 1, 2, 3]), tree.Children(0, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Children(3, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Hashes(1, [4]));
    }

    [Fact]
    public void Segment_comes_from_the_low_bits_not_the_partition_bits()
    {
        var tree = new MerkleTree();
        var rng = new Random(6);
        var segments = Enumerable.Range(0, 20_000).Select(_ => tree.SegmentOf(TreeFixtures.RandomKey(rng))).ToHashSet();
        Assert.All(segments, s => Assert.InRange(s, 0, tree.Shape.Segments - 1));
        Assert.True(segments.Count > tree.Shape.Segments * 9 / 10, $"keys of one partition fill only {segments.Count} segments");
    }

    [Fact]
    public void Shapes_are_validated()
    {
        Assert.Equal(4096, MerkleShape.Default.Segments);
        Assert.Equal(new MerkleShape(16, 3), MerkleShape.Default);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerkleShape(1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerkleShape(16, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MerkleShape(256, 4));
    }

    [Fact]
    public void Serialization_round_trips()
    {
        var tree = TreeFixtures.Tree(TreeFixtures.RandomReplica(new Random(7), 1000), new MerkleShape(8, 2));
        var copy = MerkleTree.Deserialize(tree.Serialize());
        Assert.Equal(tree.Shape, copy.Shape);
        Assert.Equal(tree.Root, copy.Root);
        Assert.Equal(1000, copy.KeyCount);
        Assert.Equal(tree.Serialize(), copy.Serialize());
        Assert.Equal(new MerkleTree().Root, MerkleTree.Deserialize(new MerkleTree().Serialize()).Root);
    }

    [Fact]
    public void Damaged_bytes_are_refused()
    {
        var bytes = TreeFixtures.Tree(TreeFixtures.RandomReplica(new Random(8), 100), new MerkleShape(4, 2)).Serialize();
        byte[] With(Action<byte[]> damage)
        {
            var copy = (byte[])bytes.Clone();
            damage(copy);
            return copy;
        }

        Assert.Throws<FormatException>(() => MerkleTree.Deserialize([]));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize([.. bytes, 0]));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize(With(b => b[0] = 2)));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize(With(b => b[1] = 1)));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize(With(b => b[3] = 0)));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize(With(b => b[11] = 0x80)));
        Assert.Throws<FormatException>(() => MerkleTree.Deserialize(With(b => b[^3] ^= 1)));
    }
}
