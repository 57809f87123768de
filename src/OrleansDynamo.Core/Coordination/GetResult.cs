using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Coordination;

/// <summary>
/// What a successful get returns: the reconciled set, whether the key exists, the visible
/// (non-tombstone) siblings, and the context to send back with the next write. The context is the
/// merged set's whole context, so it covers tombstones too and a write after it supersedes them.
/// </summary>
public sealed class GetResult
{
    public GetResult(SiblingSet merged)
    {
        ArgumentNullException.ThrowIfNull(merged);
        Merged = merged;
        Siblings = merged.Siblings.Where(s => !s.Tombstone).ToImmutableArray();
    }

    public SiblingSet Merged { get; }

    /// <summary>False when no replica had the key, or only delete markers remain.</summary>
    public bool Found => !Siblings.IsEmpty;

    /// <summary>The live versions a client sees; more than one when writes were concurrent.</summary>
    public ImmutableArray<Sibling> Siblings { get; }

    public VectorClock Context => Merged.Context;

    public override string ToString() => Found ? $"found {Merged}" : $"not found {Merged}";
}
