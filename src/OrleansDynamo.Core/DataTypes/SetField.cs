using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>A set element and the dots of the adds of it that still stand (at most one per actor).</summary>
public readonly record struct SetEntry(string Element, ImmutableArray<Dot> Dots)
{
    public bool Equals(SetEntry other) => Element == other.Element && Dots.AsSpan().SequenceEqual(other.Dots.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Element, Dots.Length);

    public override string ToString() => $"{Element}@{string.Join("+", Dots)}";
}

/// <summary>
/// An observed-remove set without tombstones (Riak's ORSWOT) as a dot store: per element the dots of its adds. An add
/// gives the element a fresh dot in place of the ones the coordinator holds; a remove drops the dots the client
/// observed. An element is in the set while any dot of it stands, so a remove never takes away an add it did not see.
/// The same store is a <see cref="OrSet"/>'s and a set field's in a map.
/// </summary>
public sealed class SetField : FieldValue
{
    /// <summary>Elements in ordinal order, each with its dots (sorted, at least one).</summary>
    public ImmutableArray<SetEntry> Entries { get; }

    private SetField(ImmutableArray<SetEntry> entries) => Entries = entries;

    internal static SetField? Of(ImmutableArray<SetEntry> entries) => entries.IsEmpty ? null : new SetField(entries);

    /// <summary>Wraps entries sorted by element with sorted, non-empty dots; checked (the codec's entry point).</summary>
    internal static SetField Create(ImmutableArray<SetEntry> entries)
    {
        if (entries.IsEmpty) throw new ArgumentException("a set field has no elements");
        Check(entries);
        return new SetField(entries);
    }

    internal static void Check(ImmutableArray<SetEntry> entries)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Dots.IsDefaultOrEmpty) throw new ArgumentException($"set element '{DataTypeLimits.Shorten(entries[i].Element)}' has no dots");
            if (!Dots.IsStrictlySorted(entries[i].Dots.AsSpan()))
                throw new ArgumentException($"set element '{DataTypeLimits.Shorten(entries[i].Element)}' has dots out of order");
            if (i > 0 && string.CompareOrdinal(entries[i - 1].Element, entries[i].Element) >= 0)
                throw new ArgumentException("set elements must be sorted and unique");
        }
    }

    public override DataTypeKind Kind => DataTypeKind.Set;

    public ImmutableArray<string> Elements => Entries.Select(e => e.Element).ToImmutableArray();

    public bool Contains(string element) => IndexOf(Entries, element) >= 0;

    public override IEnumerable<Dot> AllDots() => Entries.SelectMany(e => e.Dots);

    internal static int IndexOf(ImmutableArray<SetEntry> entries, string element)
    {
        int lo = 0, hi = entries.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = string.CompareOrdinal(entries[mid].Element, element);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return -1;
    }

    internal static ImmutableArray<Dot> DotsOf(ImmutableArray<SetEntry> entries, string element)
    {
        int i = IndexOf(entries, element);
        return i < 0 ? ImmutableArray<Dot>.Empty : entries[i].Dots;
    }

    internal override Dot? FirstUnseen(CausalContext context) => FirstUnseen(Entries, context);

    internal static Dot? FirstUnseen(ImmutableArray<SetEntry> entries, CausalContext context)
    {
        foreach (var e in entries)
        {
            foreach (var d in e.Dots)
            {
                if (!context.Contains(d)) return d;
            }
        }
        return null;
    }

    internal override FieldValue? Without(CausalContext removed) => Of(Without(Entries, removed));

    private protected override FieldValue? JoinWith(FieldValue? other, CausalContext thisSeen, CausalContext otherSeen) =>
        Of(Join(Entries, thisSeen, (other as SetField)?.Entries ?? ImmutableArray<SetEntry>.Empty, otherSeen));

    /// <summary>Per element the join of its dot sets; elements left without dots are gone.</summary>
    internal static ImmutableArray<SetEntry> Join(ImmutableArray<SetEntry> a, CausalContext aSeen, ImmutableArray<SetEntry> b, CausalContext bSeen)
    {
        if (b.IsEmpty) return Without(a, bSeen);
        if (a.IsEmpty) return Without(b, aSeen);
        var result = ImmutableArray.CreateBuilder<SetEntry>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : string.CompareOrdinal(a[i].Element, b[j].Element);
            string element = c <= 0 ? a[i].Element : b[j].Element;
            var da = c <= 0 ? a[i++].Dots : ImmutableArray<Dot>.Empty;
            var db = c >= 0 ? b[j++].Dots : ImmutableArray<Dot>.Empty;
            var dots = Dots.Join(da, aSeen, db, bSeen);
            if (!dots.IsEmpty) result.Add(new SetEntry(element, dots));
        }
        return result.ToImmutable();
    }

    internal static ImmutableArray<SetEntry> Without(ImmutableArray<SetEntry> entries, CausalContext removed)
    {
        if (removed.IsEmpty || entries.IsEmpty) return entries;
        ImmutableArray<SetEntry>.Builder? result = null;
        for (int i = 0; i < entries.Length; i++)
        {
            var dots = Dots.Without(entries[i].Dots, removed);
            if (result is null)
            {
                if (dots.Length == entries[i].Dots.Length) continue;
                result = ImmutableArray.CreateBuilder<SetEntry>(entries.Length);
                for (int k = 0; k < i; k++) result.Add(entries[k]);
            }
            if (!dots.IsEmpty) result.Add(new SetEntry(entries[i].Element, dots));
        }
        return result is null ? entries : result.ToImmutable();
    }

    /// <summary>The entries with <paramref name="element"/>'s dots that <paramref name="removed"/> holds dropped.</summary>
    internal static ImmutableArray<SetEntry> WithoutElement(ImmutableArray<SetEntry> entries, string element, CausalContext removed)
    {
        int i = IndexOf(entries, element);
        if (i < 0) return entries;
        var dots = Dots.Without(entries[i].Dots, removed);
        if (dots.Length == entries[i].Dots.Length) return entries;
        return dots.IsEmpty ? entries.RemoveAt(i) : entries.SetItem(i, new SetEntry(element, dots));
    }

    public override bool Equals(FieldValue? other) =>
        other is SetField s && Entries.AsSpan().SequenceEqual(s.Entries.AsSpan());

    public override int GetHashCode() => base.GetHashCode();

    public override string ToString() => $"set({string.Join(",", Entries)})";
}
