using OrleansDynamo.Core.AntiEntropy;
using OrleansDynamo.Core.Keys;
using Xunit;

namespace OrleansDynamo.Core.Tests.AntiEntropy;

public sealed class SegmentDiffTests
{
    private static KeyHash K(int i) => new((UInt128)i);

    [Fact]
    public void Reports_missing_and_changed_keys_in_key_order()
    {
        var diff = SegmentDiff.Compare(
            [(K(3), 30UL), (K(1), 10UL), (K(2), 20UL)],
            [(K(2), 21UL), (K(4), 40UL), (K(1), 10UL)]);
        Assert.Equal(
            new[]
            {
                new KeyDifference(K(2), 20, 21),
                new KeyDifference(K(3), 30, null),
                new KeyDifference(K(4), null, 40),
            },
            diff);
        Assert.Equal(
            new[] { KeyDifferenceKind.DigestsDiffer, KeyDifferenceKind.MissingRemotely, KeyDifferenceKind.MissingLocally },
            diff.Select(d => d.Kind));
    }

    [Fact]
    public void Identical_sides_have_no_differences() =>
        Assert.Empty(SegmentDiff.Compare([(K(1), 1UL)], [(K(1), 1UL)]));

    [Fact]
    public void A_key_listed_twice_is_refused()
    {
        Assert.Throws<ArgumentException>(() => SegmentDiff.Compare([(K(1), 1UL), (K(1), 2UL)], []));
        Assert.Throws<ArgumentException>(() => SegmentDiff.Compare([], [(K(1), 1UL), (K(1), 1UL)]));
    }
}
