using System.Collections.Immutable;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// A remove that observed updates its replica has not seen yet (Riak's deferred operations): the client read another
/// replica, which had seen more. The remove drops at once what it can, and waits in the state for the rest: every merge
/// applies it again, so an update it observed is dropped as soon as it arrives, and it is discarded once the state's
/// context has seen everything it observed (from then on the context alone drops those updates). So a remove never
/// misses an add it saw, and nothing is kept past the time the replica catches up.
/// </summary>
/// <param name="Path">The map fields down to the removed field (empty in a <see cref="OrSet"/>).</param>
/// <param name="Element">The set element removed, or null when the remove takes the whole field (a field remove, a flag disable).</param>
/// <param name="Observed">What the client had seen: the remove drops the dots under the path that it holds.</param>
public sealed class DeferredRemove(ImmutableArray<FieldKey> path, string? element, CausalContext observed)
    : IEquatable<DeferredRemove>, IComparable<DeferredRemove>
{
    public ImmutableArray<FieldKey> Path { get; } = path.IsDefault ? ImmutableArray<FieldKey>.Empty : path;

    public string? Element { get; } = element;

    public CausalContext Observed { get; } = observed;

    /// <summary>The union of two states' waiting removes: sorted, unique.</summary>
    internal static ImmutableArray<DeferredRemove> Union(ImmutableArray<DeferredRemove> a, ImmutableArray<DeferredRemove> b)
    {
        if (b.IsEmpty) return a;
        if (a.IsEmpty) return b;
        var result = ImmutableArray.CreateBuilder<DeferredRemove>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : a[i].CompareTo(b[j]);
            result.Add(c <= 0 ? a[i] : b[j]);
            if (c <= 0) i++;
            if (c >= 0) j++;
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// The removes still waiting once applied to a state that has seen <paramref name="seen"/>: those that observed
    /// something it has not. A remove must be applied before it is discarded: the side that had seen its updates may
    /// still hold them, and only the remove drops them in the join.
    /// </summary>
    internal static ImmutableArray<DeferredRemove> Pending(ImmutableArray<DeferredRemove> removes, CausalContext seen)
    {
        if (removes.IsEmpty) return removes;
        int keep = 0;
        foreach (var d in removes)
        {
            if (!seen.Covers(d.Observed)) keep++;
        }
        if (keep == removes.Length) return removes;
        return removes.Where(d => !seen.Covers(d.Observed)).ToImmutableArray();
    }

    /// <summary>Sorted and unique, as a state keeps them (checked by the codec).</summary>
    internal static bool IsStrictlySorted(ImmutableArray<DeferredRemove> removes)
    {
        for (int i = 1; i < removes.Length; i++)
        {
            if (removes[i - 1].CompareTo(removes[i]) >= 0) return false;
        }
        return true;
    }

    /// <summary>Path (field by field, a prefix first), then element (none first), then the observed context.</summary>
    public int CompareTo(DeferredRemove? other)
    {
        if (other is null) return 1;
        for (int k = 0; k < Path.Length && k < other.Path.Length; k++)
        {
            int c = Path[k].CompareTo(other.Path[k]);
            if (c != 0) return c;
        }
        int byLength = Path.Length.CompareTo(other.Path.Length);
        if (byLength != 0) return byLength;
        if (Element is null != other.Element is null) return Element is null ? -1 : 1;
        int e = string.CompareOrdinal(Element, other.Element);
        return e != 0 ? e : Observed.CompareTo(other.Observed);
    }

    public bool Equals(DeferredRemove? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => Equals(obj as DeferredRemove);

    public override int GetHashCode() => HashCode.Combine(Path.Length, Element, Observed);

    public override string ToString() =>
        $"remove {string.Join("/", Path)}{(Element is null ? "" : (Path.IsEmpty ? "" : "/") + $"'{Element}'")} seen {Observed}";
}
