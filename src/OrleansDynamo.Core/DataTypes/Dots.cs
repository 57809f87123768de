using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// Sorted dot arrays and the join of dot sets (Almeida et al., "Delta state replicated data types", §5): a dot present
/// on one side survives unless the other side has seen it (it is in the other's context) and no longer holds it, that
/// is, removed it. Every causal type's merge is this rule applied per element, per field or per actor.
/// </summary>
internal static class Dots
{
    /// <summary>Actor (ordinal), then counter.</summary>
    public static readonly IComparer<Dot> Comparer = Comparer<Dot>.Create(Compare);

    public static int Compare(Dot a, Dot b)
    {
        int c = string.CompareOrdinal(a.Node, b.Node);
        return c != 0 ? c : a.Counter.CompareTo(b.Counter);
    }

    public static int CompareSequences(ReadOnlySpan<Dot> a, ReadOnlySpan<Dot> b)
    {
        for (int i = 0; i < a.Length && i < b.Length; i++)
        {
            int c = Compare(a[i], b[i]);
            if (c != 0) return c;
        }
        return a.Length.CompareTo(b.Length);
    }

    /// <summary>True when the dots are strictly ascending (sorted, no duplicate).</summary>
    public static bool IsStrictlySorted(ReadOnlySpan<Dot> dots)
    {
        for (int i = 1; i < dots.Length; i++)
        {
            if (Compare(dots[i - 1], dots[i]) >= 0) return false;
        }
        return true;
    }

    /// <summary>
    /// The join of dot sets <paramref name="a"/> (seen: <paramref name="ca"/>) and <paramref name="b"/> (seen:
    /// <paramref name="cb"/>): dots in both, dots of a that b has not seen, dots of b that a has not seen.
    /// </summary>
    public static ImmutableArray<Dot> Join(ImmutableArray<Dot> a, CausalContext ca, ImmutableArray<Dot> b, CausalContext cb)
    {
        if (a.IsDefaultOrEmpty && b.IsDefaultOrEmpty) return ImmutableArray<Dot>.Empty;
        if (a.IsDefaultOrEmpty) return Without(b, ca);
        if (b.IsDefaultOrEmpty) return Without(a, cb);
        var result = new List<Dot>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : Compare(a[i], b[j]);
            if (c == 0)
            {
                result.Add(a[i]);
                i++;
                j++;
            }
            else if (c < 0)
            {
                if (!cb.Contains(a[i])) result.Add(a[i]);
                i++;
            }
            else
            {
                if (!ca.Contains(b[j])) result.Add(b[j]);
                j++;
            }
        }
        return result.Count == a.Length && SameAs(result, a) ? a : result.ToImmutableArray();
    }

    /// <summary>The dots of <paramref name="sorted"/> that <paramref name="removed"/> does not hold.</summary>
    public static ImmutableArray<Dot> Without(ImmutableArray<Dot> sorted, CausalContext removed)
    {
        if (sorted.IsDefaultOrEmpty) return ImmutableArray<Dot>.Empty;
        if (removed.IsEmpty) return sorted;
        int keep = 0;
        foreach (var d in sorted)
        {
            if (!removed.Contains(d)) keep++;
        }
        if (keep == sorted.Length) return sorted;
        if (keep == 0) return ImmutableArray<Dot>.Empty;
        var builder = ImmutableArray.CreateBuilder<Dot>(keep);
        foreach (var d in sorted)
        {
            if (!removed.Contains(d)) builder.Add(d);
        }
        return builder.MoveToImmutable();
    }

    private static bool SameAs(List<Dot> list, ImmutableArray<Dot> array)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] != array[i]) return false;
        }
        return true;
    }
}
