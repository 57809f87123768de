using System.Collections.Immutable;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>
/// The local side of a tree comparison with one other replica, as a pure state machine (like riak's
/// hashtree compare). It asks for the remote root, then level by level only for the children of
/// nodes whose hashes differ, and ends with the leaf segments that differ. The caller carries each
/// <see cref="MerkleRequest"/> to the remote and feeds the answer to <see cref="OnResponse"/>. Both
/// trees must have the same <see cref="MerkleShape"/>. Messages cost O(differences × FanOut × Depth)
/// hashes, independent of the number of keys.
/// </summary>
public sealed class MerkleExchange
{
    private readonly MerkleTree _local;
    private MerkleRequest? _pending;
    private bool _started;
    private ImmutableArray<int> _differing = ImmutableArray<int>.Empty;

    /// <param name="local">The local tree; pass a <see cref="MerkleTree.Clone"/> if it may change during the exchange.</param>
    public MerkleExchange(MerkleTree local)
    {
        ArgumentNullException.ThrowIfNull(local);
        _local = local;
    }

    public MerkleShape Shape => _local.Shape;

    public bool IsDone { get; private set; }

    /// <summary>Hashes received from the remote so far.</summary>
    public long HashesExchanged { get; private set; }

    /// <summary>Requests sent so far (round trips).</summary>
    public int Rounds { get; private set; }

    /// <summary>The differing leaf segments, ascending; valid once <see cref="IsDone"/>.</summary>
    public ImmutableArray<int> DifferingSegments =>
        IsDone ? _differing : throw new InvalidOperationException("the exchange is not done");

    /// <summary>The first request: the remote's root hash.</summary>
    public MerkleRequest Start()
    {
        if (_started) throw new InvalidOperationException("the exchange has already started");
        _started = true;
        return Send(new MerkleRequest(0, ImmutableArray.Create(0)));
    }

    /// <summary>
    /// Takes the remote's answer to the last request. Returns the next request, or null when the
    /// exchange is done and <see cref="DifferingSegments"/> holds the result.
    /// </summary>
    public MerkleRequest? OnResponse(IReadOnlyList<ulong> remoteHashes)
    {
        ArgumentNullException.ThrowIfNull(remoteHashes);
        var request = _pending ?? throw new InvalidOperationException(IsDone ? "the exchange is done" : "no request is outstanding; call Start first");
        if (remoteHashes.Count != request.Nodes.Length)
            throw new ArgumentException($"expected {request.Nodes.Length} hashes for {request}, got {remoteHashes.Count}", nameof(remoteHashes));
        _pending = null;
        HashesExchanged += remoteHashes.Count;

        var differing = ImmutableArray.CreateBuilder<int>();
        for (int i = 0; i < remoteHashes.Count; i++)
        {
            if (_local.Hash(request.Level, request.Nodes[i]) != remoteHashes[i]) differing.Add(request.Nodes[i]);
        }

        if (request.Level == Shape.Depth || differing.Count == 0)
        {
            IsDone = true;
            _differing = request.Level == Shape.Depth ? differing.ToImmutable() : ImmutableArray<int>.Empty;
            return null;
        }

        var children = ImmutableArray.CreateBuilder<int>(differing.Count * Shape.FanOut);
        foreach (int parent in differing)
        {
            for (int c = 0; c < Shape.FanOut; c++) children.Add(parent * Shape.FanOut + c);
        }
        return Send(new MerkleRequest(request.Level + 1, children.MoveToImmutable()));
    }

    private MerkleRequest Send(MerkleRequest request)
    {
        _pending = request;
        Rounds++;
        return request;
    }
}
