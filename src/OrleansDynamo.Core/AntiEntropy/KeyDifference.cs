using OrleansDynamo.Core.Keys;

namespace OrleansDynamo.Core.AntiEntropy;

/// <summary>What is different about one key between the local and the remote replica.</summary>
public enum KeyDifferenceKind
{
    /// <summary>The remote has the key, the local replica does not.</summary>
    MissingLocally = 0,

    /// <summary>The local replica has the key, the remote does not.</summary>
    MissingRemotely = 1,

    /// <summary>Both have it with different version digests.</summary>
    DigestsDiffer = 2,
}

/// <summary>One key found by <see cref="SegmentDiff"/>; a null digest means the side lacks the key.</summary>
public readonly record struct KeyDifference(KeyHash Key, ulong? LocalDigest, ulong? RemoteDigest)
{
    public KeyDifferenceKind Kind =>
        LocalDigest is null ? KeyDifferenceKind.MissingLocally
        : RemoteDigest is null ? KeyDifferenceKind.MissingRemotely
        : KeyDifferenceKind.DigestsDiffer;
}
