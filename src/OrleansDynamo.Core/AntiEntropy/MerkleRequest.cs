using System.Collections.Immutable;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// One round of a <see cref="MerkleExchange"/>: "send me the hashes of these nodes at this level".
/// The remote replica answers with <see cref="MerkleTree.Hashes"/> (or <see cref="MerkleTree.Answer"/>)
/// on its own tree, one hash per node, in the same order.
/// </summary>
public sealed record MerkleRequest(int Level, ImmutableArray<int> Nodes)
{
    public bool Equals(MerkleRequest? other) =>
        other is not null && Level == other.Level && Nodes.AsSpan().SequenceEqual(other.Nodes.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Level, Nodes.Length);

    public override string ToString() => $"level {Level}: {Nodes.Length} node(s)";
}
