using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.Buckets;

/// <summary>
/// A named key space with its own replication and conflict settings (Riak's bucket properties).
/// R + W &gt; N is the user's choice, not enforced (Dynamo §4.5). A bucket's type (<see cref="TypeName"/>) is fixed at
/// creation: <c>kv</c> (siblings or last-write-wins), or a convergent data type, whose policy is the type.
/// </summary>
public sealed record BucketSettings(
    string Name,
    int N = 3,
    int R = 2,
    int W = 2,
    ConflictPolicy Policy = ConflictPolicy.Siblings,
    int MaxValueBytes = BucketSettings.DefaultMaxValueBytes,
    int PR = 0,
    int PW = 0)
{
    public const string DefaultName = "default";
    public const int DefaultMaxValueBytes = 1024 * 1024;
    public const int MaxN = 16;

    /// <summary>
    /// The most buckets a silo may be configured to allow (Silo:MaxBuckets), the default one included: each is one event
    /// in every silo's membership history, and the membership version sums their Lamport times (at most 2^53 each).
    /// </summary>
    public const int MaxBuckets = 1024;

    /// <summary>The data type of the bucket's values; null for a key-value bucket.</summary>
    public DataTypeKind? DataType => Policy.DataType();

    /// <summary>The bucket's type as clients spell it: <c>kv</c>, <c>counter</c>, <c>set</c> or <c>map</c>.</summary>
    public string TypeName => TypeNameOf(Policy);

    public const string KeyValueType = "kv";

    public static string TypeNameOf(ConflictPolicy policy) => policy.DataType() is { } kind ? DataTypeNames.Of(kind) : KeyValueType;

    /// <summary>
    /// The policy of a bucket of type <paramref name="type"/> (<c>kv</c> or empty: <paramref name="kvPolicy"/>); null for an unknown type.
    /// </summary>
    public static ConflictPolicy? PolicyForType(string? type, ConflictPolicy kvPolicy) => type?.Trim().ToLowerInvariant() switch
    {
        null or "" or KeyValueType => kvPolicy,
        "counter" => ConflictPolicy.Counter,
        "set" => ConflictPolicy.Set,
        "map" => ConflictPolicy.Map,
        _ => null,
    };

    /// <summary>Null when the settings are valid, else a message naming the bad field.</summary>
    public string? Validate()
    {
        if (KeyValidation.CheckBucketName(Name) is { } bad) return bad;
        if (N < 1 || N > MaxN) return $"bucket '{Name}': N must be between 1 and {MaxN}, got {N}";
        if (R < 1 || R > N) return $"bucket '{Name}': R must be between 1 and N={N}, got {R}";
        if (W < 1 || W > N) return $"bucket '{Name}': W must be between 1 and N={N}, got {W}";
        if (PR < 0 || PR > R) return $"bucket '{Name}': PR must be between 0 and R={R}, got {PR}";
        if (PW < 0 || PW > W) return $"bucket '{Name}': PW must be between 0 and W={W}, got {PW}";
        if (MaxValueBytes < 1 || MaxValueBytes > 64 * 1024 * 1024) return $"bucket '{Name}': MaxValueBytes must be between 1 and 64 MiB, got {MaxValueBytes}";
        if (!Enum.IsDefined(Policy)) return $"bucket '{Name}': unknown conflict policy {(int)Policy}";
        return null;
    }

    /// <summary>
    /// What redefining <paramref name="existing"/> as these settings would change among the settings that decide where
    /// keys live and how their versions are kept (N and the conflict policy), e.g. <c>N 3 -&gt; 5</c>; null when neither changes.
    /// </summary>
    public string? RedefinitionOf(BucketSettings existing)
    {
        var changes = new List<string>(2);
        if (N != existing.N) changes.Add($"N {existing.N} -> {N}");
        if (Policy != existing.Policy) changes.Add($"policy {PolicyName(existing.Policy)} -> {PolicyName(Policy)}");
        return changes.Count == 0 ? null : string.Join(", ", changes);
    }

    /// <summary>The policy's written-out name (a typed bucket's is its type's); <see cref="PolicyNamed"/> reads it back.</summary>
    public static string PolicyName(ConflictPolicy policy) => policy switch
    {
        ConflictPolicy.LastWriteWins => "last-write-wins",
        ConflictPolicy.Counter or ConflictPolicy.Set or ConflictPolicy.Map => TypeNameOf(policy),
        _ => "siblings",
    };

    /// <summary>The policy named <paramref name="name"/> by <see cref="PolicyName"/>; siblings for an unknown name.</summary>
    public static ConflictPolicy PolicyNamed(string? name) => ParsePolicy(name) ?? PolicyForType(name, ConflictPolicy.Siblings) ?? ConflictPolicy.Siblings;

    public static ConflictPolicy? ParsePolicy(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "siblings" => ConflictPolicy.Siblings,
        "last-write-wins" or "lww" => ConflictPolicy.LastWriteWins,
        _ => null,
    };
}
