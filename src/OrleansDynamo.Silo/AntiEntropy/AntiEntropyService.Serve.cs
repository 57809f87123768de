using System.Collections.Immutable;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>The peer's side of an exchange: answers from its own tree and store, merges what it is sent.</summary>
public sealed partial class AntiEntropyService
{
    private Task<MerkleHashesAnswer> HandleMerkleHashesAsync(MerkleHashesQuery query, CancellationToken ct)
    {
        Check(query.Tree);
        if (query.Level < 0 || query.Level > _shape.Depth) throw DynamoException.Invalid($"level must be 0..{_shape.Depth}, got {query.Level}");
        if (query.Level == 0 && query.Parents.Length != 0) throw DynamoException.Invalid("a root request names no parents");
        int parentCount = _shape.NodesAt(Math.Max(0, query.Level - 1));
        if (query.Parents.Any(p => p < 0 || p >= parentCount)) throw DynamoException.Invalid($"parents at level {query.Level - 1} must be 0..{parentCount - 1}");
        var tree = ReadyTree(query.Tree.Id);
        if (tree is null) return Task.FromResult(new MerkleHashesAnswer(false, []));
        // A partition still arriving by transfer (or being sent to the asker) is left to the transfer: no second copy of its keys.
        if (Transfer?.InTransit(query.Tree.Id.Partition, query.FromSilo) == true) return Task.FromResult(new MerkleHashesAnswer(true, [], Busy: true));
        if (!tree.TryLease(query.FromSilo, NowMs, _options.ExchangeLeaseMs)) return Task.FromResult(new MerkleHashesAnswer(true, [], Busy: true));
        return Task.FromResult(new MerkleHashesAnswer(true, tree.Hashes(query.Level, query.Parents)));
    }

    private Task<SegmentKeysAnswer> HandleSegmentKeysAsync(SegmentKeysQuery query, CancellationToken ct)
    {
        Check(query.Tree);
        if (query.Segments.Any(s => s < 0 || s >= _shape.Segments)) throw DynamoException.Invalid($"segments must be 0..{_shape.Segments - 1}");
        var tree = ReadyTree(query.Tree.Id);
        if (tree is null) return Task.FromResult(new SegmentKeysAnswer(false, []));
        tree.TryLease(query.FromSilo, NowMs, _options.ExchangeLeaseMs);
        return Task.FromResult(new SegmentKeysAnswer(true, tree.KeysIn(query.Segments.ToHashSet())));
    }

    private async Task<RepairKeysResult> HandleRepairKeysAsync(RepairKeys request, CancellationToken ct)
    {
        Check(request.Tree);
        int partition = request.Tree.Id.Partition;
        foreach (var e in request.Push)
        {
            if (e.Key.Hash.Partition(_silo.Membership.State.PartitionCount) != partition)
                throw DynamoException.Invalid($"key {e.Key} is not in partition {partition}");
        }
        if (_trees.TryGetValue(request.Tree.Id, out var tree)) tree.TryLease(request.FromSilo, NowMs, _options.ExchangeLeaseMs);
        // The answer stays within the silos' message limit (at least one key): what is left out differs still, and the
        // next exchange finds it again.
        var entries = new List<KeySet>();
        long budget = Limits.MessageBudget.BytesPerMessage(_silo.Options.Limits), bytes = 0;
        bool Fits(KeySet set)
        {
            long size = Limits.MessageBudget.SizeOf(set.Key, set.Siblings);
            if (entries.Count > 0 && bytes + size > budget) return false;
            bytes += size;
            return true;
        }
        foreach (var e in request.Push)
        {
            var merged = await Grain(partition).MergeAsync(e.Key, e.Siblings, PolicyOf(e.Key.Bucket), ct);
            if (!merged.Equals(e.Siblings) && new KeySet(e.Key, merged) is var answer && Fits(answer)) entries.Add(answer);
        }
        foreach (var hash in request.Fetch)
        {
            if (await FindAsync(partition, hash, ct) is { } found && new KeySet(found.Key, found.Siblings) is var answer && Fits(answer)) entries.Add(answer);
        }
        return new RepairKeysResult(entries, request.Push.Count);
    }

    private async Task<TombstoneGcResult> HandleTombstoneGcAsync(TombstoneGc request, CancellationToken ct)
    {
        Check(request.Tree);
        var id = request.Tree.Id;
        var ring = _silo.Membership.State.Ring;
        // Only when this silo sees the same replicas (and is one): otherwise a replica might be unasked.
        if (ring is null || !_options.TombstoneGc) return new TombstoneGcResult([]);
        var mine = ring.PreferenceListFor(id.Partition, id.N).Primaries;
        if (!mine.Contains(Self) || !mine.SequenceEqual(request.Primaries)) return new TombstoneGcResult([]);
        if (request.Remove) return new TombstoneGcResult(await RemoveTombstonesAsync(id.Partition, request.Keys, ct));

        var matched = ImmutableArray.CreateBuilder<int>();
        for (int i = 0; i < request.Keys.Count; i++)
        {
            var entry = await FindAsync(id.Partition, request.Keys[i].Key, ct);
            if (entry is not null && entry.Siblings.IsDeleted && Core.AntiEntropy.VersionDigest.Of(entry.Siblings) == request.Keys[i].Digest) matched.Add(i);
        }
        return new TombstoneGcResult(matched.ToImmutable());
    }

    /// <summary>This silo's tree when it is built; otherwise null, and its build starts if this silo holds it and is not receiving it.</summary>
    private ReplicaTree? ReadyTree(TreeId id)
    {
        if (!_options.Enabled) return null;
        if (_trees.TryGetValue(id, out var tree) && tree.IsReady) return tree;
        if (Holds(id) && !Receiving(id.Partition)) StartTree(id);
        return null;
    }

    private void Check(TreeRef tree)
    {
        int q = _silo.Membership.State.PartitionCount;
        if (tree.Id.Partition < 0 || tree.Id.Partition >= q) throw DynamoException.Invalid($"partition must be 0..{q - 1}, got {tree.Id.Partition}");
        if (tree.Id.N < 1) throw DynamoException.Invalid($"n must be positive, got {tree.Id.N}");
        if (!tree.Matches(_shape))
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                $"{Self} uses Merkle trees of shape {_shape} but the asker uses {tree.FanOut}^{tree.Depth}; set Silo:AntiEntropy:TreeFanOut/TreeDepth alike on every silo");
        if (OtherDigestScheme(tree.DigestScheme) is { } why) throw new DynamoException(DynamoErrorKind.FailedPrecondition, why);
    }

    /// <summary>
    /// Null when a peer that sent <paramref name="sent"/> as its digest scheme computes digests as this silo does; else why
    /// the two are not compared.
    /// </summary>
    private string? OtherDigestScheme(int sent) => TreeRef.SchemeOf(sent) is var scheme && scheme != Core.AntiEntropy.VersionDigest.Scheme
        ? $"{Self} computes version digests by scheme {Core.AntiEntropy.VersionDigest.Scheme} and the peer by scheme {scheme}: " +
          "their trees cannot be compared, so anti-entropy between them waits until both run the same OrleansDynamo release"
        : null;
}
