using OrleansDynamo.Core.Buckets;
using Orleans;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Serialization;

// How the pure core's value types cross Orleans grain calls. The core knows nothing of Orleans, so each
// type travels as a small [GenerateSerializer] surrogate; version vectors and sibling sets use the core's
// own versioned binary codec (the same bytes the store writes), so there is one format for them. Sibling sets, on every
// replica write, have a codec of their own (SiblingSetCodec) that writes those bytes without an array in between.

[GenerateSerializer, Immutable]
public readonly struct DynamoKeySurrogate(string bucket, string key)
{
    [Id(0)] public readonly string Bucket = bucket;
    [Id(1)] public readonly string Key = key;
}

[RegisterConverter]
public sealed class DynamoKeyConverter : IConverter<DynamoKey, DynamoKeySurrogate>
{
    public DynamoKey ConvertFromSurrogate(in DynamoKeySurrogate surrogate) => new(surrogate.Bucket, surrogate.Key);

    public DynamoKeySurrogate ConvertToSurrogate(in DynamoKey value) => new(value.Bucket, value.Key);
}

[GenerateSerializer, Immutable]
public readonly struct KeyHashSurrogate(ulong upper, ulong lower)
{
    [Id(0)] public readonly ulong Upper = upper;
    [Id(1)] public readonly ulong Lower = lower;
}

[RegisterConverter]
public sealed class KeyHashConverter : IConverter<KeyHash, KeyHashSurrogate>
{
    public KeyHash ConvertFromSurrogate(in KeyHashSurrogate surrogate) => new(new UInt128(surrogate.Upper, surrogate.Lower));

    public KeyHashSurrogate ConvertToSurrogate(in KeyHash value) => new((ulong)(value.Value >> 64), (ulong)value.Value);
}

[GenerateSerializer, Immutable]
public readonly struct DotSurrogate(string node, long counter)
{
    [Id(0)] public readonly string Node = node;
    [Id(1)] public readonly long Counter = counter;
}

[RegisterConverter]
public sealed class DotConverter : IConverter<Dot, DotSurrogate>
{
    public Dot ConvertFromSurrogate(in DotSurrogate surrogate) => new(surrogate.Node, surrogate.Counter);

    public DotSurrogate ConvertToSurrogate(in Dot value) => new(value.Node, value.Counter);
}

/// <summary>A sibling on its own (a get's answer); <see cref="ContentType"/> came later, under a new id (absent from an older silo: none).</summary>
[GenerateSerializer, Immutable]
public readonly struct SiblingSurrogate(Dot dot, byte[] value, bool tombstone, long timestampMs, string? contentType)
{
    [Id(0)] public readonly Dot Dot = dot;
    [Id(1)] public readonly byte[] Value = value;
    [Id(2)] public readonly bool Tombstone = tombstone;
    [Id(3)] public readonly long TimestampMs = timestampMs;
    [Id(4)] public readonly string? ContentType = contentType;
}

[RegisterConverter]
public sealed class SiblingConverter : IConverter<Sibling, SiblingSurrogate>
{
    public Sibling ConvertFromSurrogate(in SiblingSurrogate surrogate) =>
        new(surrogate.Dot, surrogate.Value, surrogate.Tombstone, surrogate.TimestampMs, surrogate.ContentType);

    public SiblingSurrogate ConvertToSurrogate(in Sibling value) =>
        new(value.Dot, value.Value, value.Tombstone, value.TimestampMs, value.ContentType);
}

/// <summary>
/// A version vector in the core's binary format (<see cref="VersionCodec"/>). Sibling sets travelled this way too, and
/// <see cref="SiblingSetCodec"/> still writes these bytes for them, without the array.
/// </summary>
[GenerateSerializer, Immutable]
public readonly struct VersionBytesSurrogate(byte[] bytes)
{
    [Id(0)] public readonly byte[] Bytes = bytes;
}

[RegisterConverter]
public sealed class VectorClockConverter : IConverter<VectorClock, VersionBytesSurrogate>
{
    public VectorClock ConvertFromSurrogate(in VersionBytesSurrogate surrogate) => VersionCodec.DecodeContextBytes(surrogate.Bytes);

    public VersionBytesSurrogate ConvertToSurrogate(in VectorClock value) => new(VersionCodec.EncodeContextBytes(value));
}

[GenerateSerializer, Immutable]
public readonly struct HistoryDigestSurrogate(int count, ulong hash)
{
    [Id(0)] public readonly int Count = count;
    [Id(1)] public readonly ulong Hash = hash;
}

[RegisterConverter]
public sealed class HistoryDigestConverter : IConverter<HistoryDigest, HistoryDigestSurrogate>
{
    public HistoryDigest ConvertFromSurrogate(in HistoryDigestSurrogate surrogate) => new(surrogate.Count, surrogate.Hash);

    public HistoryDigestSurrogate ConvertToSurrogate(in HistoryDigest value) => new(value.Count, value.Hash);
}

/// <summary>The conflict policy by its written-out name (values on the wire are only ever appended).</summary>
[GenerateSerializer, Immutable]
public readonly struct ConflictPolicySurrogate(string name)
{
    [Id(0)] public readonly string Name = name;
}

[RegisterConverter]
public sealed class ConflictPolicyConverter : IConverter<ConflictPolicy, ConflictPolicySurrogate>
{
    public ConflictPolicy ConvertFromSurrogate(in ConflictPolicySurrogate surrogate) => BucketSettings.PolicyNamed(surrogate.Name);

    public ConflictPolicySurrogate ConvertToSurrogate(in ConflictPolicy value) => new(BucketSettings.PolicyName(value));
}
