using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Coordination;

/// <summary>
/// How a bucket reconciles concurrent versions. Values are persisted (the membership history, grain messages by
/// name): only append. A typed bucket's policy is its data type: its values are convergent states
/// (<see cref="TypedValue"/>), merged by <see cref="DataTypeState.Merge"/>, and never have siblings.
/// </summary>
public enum ConflictPolicy
{
    /// <summary>Keep every causally unrelated version and hand them all to the client (the default).</summary>
    Siblings = 0,

    /// <summary>Keep only the version with the newest timestamp (<see cref="Versioning.SiblingSet.ResolveLastWriteWins"/>).</summary>
    LastWriteWins = 1,

    /// <summary>A typed bucket of counters (<see cref="PnCounter"/>).</summary>
    Counter = 2,

    /// <summary>A typed bucket of sets (<see cref="OrSet"/>).</summary>
    Set = 3,

    /// <summary>A typed bucket of maps (<see cref="OrMap"/>).</summary>
    Map = 4,
}

/// <summary>
/// The one place a bucket's policy decides how two replicas' sets of a key combine: every path that moves values
/// between replicas (replica writes, read repair, hints, anti-entropy, ownership transfer and its read-through, the
/// get's reconciliation) merges through here.
/// </summary>
public static class ConflictPolicies
{
    /// <summary>The data type of a typed bucket's values; null for a key-value bucket.</summary>
    public static DataTypeKind? DataType(this ConflictPolicy policy) => policy switch
    {
        ConflictPolicy.Counter => DataTypeKind.Counter,
        ConflictPolicy.Set => DataTypeKind.Set,
        ConflictPolicy.Map => DataTypeKind.Map,
        _ => null,
    };

    /// <summary>The policy of a typed bucket holding <paramref name="kind"/> (a counter, set or map).</summary>
    public static ConflictPolicy Of(DataTypeKind kind) => kind switch
    {
        DataTypeKind.Counter => ConflictPolicy.Counter,
        DataTypeKind.Set => ConflictPolicy.Set,
        DataTypeKind.Map => ConflictPolicy.Map,
        _ => throw new ArgumentException($"a bucket's values cannot be {DataTypeNames.Of(kind)}s: only counters, sets and maps", nameof(kind)),
    };

    /// <summary>The join of two replicas' sets of one key: a sibling merge, or for a typed bucket the merge of the states.</summary>
    /// <exception cref="VersionFormatException">A typed bucket's set does not hold one state of the bucket's type.</exception>
    public static SiblingSet Merge(this ConflictPolicy policy, SiblingSet a, SiblingSet b) =>
        policy.DataType() is { } kind ? TypedValue.Merge(a, b, kind) : a.Merge(b);

    /// <summary>What a replica keeps of a merged set: the newest version alone for last-write-wins, else all of it.</summary>
    public static SiblingSet Resolve(this ConflictPolicy policy, SiblingSet set) =>
        policy == ConflictPolicy.LastWriteWins ? set.ResolveLastWriteWins() : set;

    /// <summary>True when merging <paramref name="other"/> into <paramref name="set"/> changes nothing.</summary>
    public static bool Subsumes(this ConflictPolicy policy, SiblingSet set, SiblingSet other) =>
        set.Equals(other) || policy.Merge(set, other).Equals(set);
}
