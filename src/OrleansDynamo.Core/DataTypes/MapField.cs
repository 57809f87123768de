using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>A map field: its key and its value.</summary>
public readonly record struct MapEntry(FieldKey Key, FieldValue Value)
{
    public override string ToString() => $"{Key}={Value}";
}

/// <summary>
/// A map as a dot store (Riak's riak_dt_map, Almeida et al.'s ORMap): fields keyed by name and type, each a dot store
/// sharing the map's causal context. A field is present while it holds a dot, and the join is the join of each field;
/// so removing a field drops the dots the client observed in it, and an update the remove did not see keeps the field
/// (with what that update made). The same store is an <see cref="OrMap"/>'s and a nested map field's.
/// </summary>
public sealed class MapField : FieldValue
{
    /// <summary>Fields by key (name ordinal, then type); none empty.</summary>
    public ImmutableArray<MapEntry> Fields { get; }

    private MapField(ImmutableArray<MapEntry> fields) => Fields = fields;

    internal static MapField? Of(ImmutableArray<MapEntry> fields) => fields.IsEmpty ? null : new MapField(fields);

    /// <summary>Wraps fields sorted by key, each value of its key's type; checked (the codec's entry point).</summary>
    internal static MapField Create(ImmutableArray<MapEntry> fields)
    {
        if (fields.IsEmpty) throw new ArgumentException("a map field has no fields");
        Check(fields);
        return new MapField(fields);
    }

    internal static void Check(ImmutableArray<MapEntry> fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (fields[i].Value is null || fields[i].Value.Kind != fields[i].Key.Kind)
                throw new ArgumentException($"map field {fields[i].Key} holds a value of another type");
            if (i > 0 && fields[i - 1].Key.CompareTo(fields[i].Key) >= 0) throw new ArgumentException("map fields must be sorted by name and type, and unique");
        }
    }

    public override DataTypeKind Kind => DataTypeKind.Map;

    public override IEnumerable<Dot> AllDots() => Fields.SelectMany(f => f.Value.AllDots());

    public FieldValue? Get(FieldKey key) => Get(Fields, key);

    internal static FieldValue? Get(ImmutableArray<MapEntry> fields, FieldKey key)
    {
        int i = IndexOf(fields, key);
        return i < 0 ? null : fields[i].Value;
    }

    /// <summary>The index of <paramref name="key"/>, or the complement of where it would go.</summary>
    private static int IndexOf(ImmutableArray<MapEntry> fields, FieldKey key)
    {
        int lo = 0, hi = fields.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = fields[mid].Key.CompareTo(key);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>The value at <paramref name="path"/> (each key but the last names a map field), or null.</summary>
    internal static FieldValue? At(ImmutableArray<MapEntry> fields, ReadOnlySpan<FieldKey> path)
    {
        var value = Get(fields, path[0]);
        for (int i = 1; i < path.Length && value is not null; i++) value = (value as MapField)?.Get(path[i]);
        return value;
    }

    /// <summary>The fields with the value at <paramref name="path"/> replaced by <paramref name="value"/> (null removes it).</summary>
    internal static ImmutableArray<MapEntry> With(ImmutableArray<MapEntry> fields, ReadOnlySpan<FieldKey> path, FieldValue? value)
    {
        int i = IndexOf(fields, path[0]);
        FieldValue? replacement = value;
        if (path.Length > 1)
        {
            var inner = i < 0 ? ImmutableArray<MapEntry>.Empty : ((MapField)fields[i].Value).Fields;
            replacement = Of(With(inner, path[1..], value));
        }
        if (i >= 0) return replacement is null ? fields.RemoveAt(i) : fields.SetItem(i, new MapEntry(path[0], replacement));
        return replacement is null ? fields : fields.Insert(~i, new MapEntry(path[0], replacement));
    }

    /// <summary>A map holding only <paramref name="value"/> at <paramref name="path"/>.</summary>
    internal static ImmutableArray<MapEntry> Only(ReadOnlySpan<FieldKey> path, FieldValue value) => With(ImmutableArray<MapEntry>.Empty, path, value);

    internal override Dot? FirstUnseen(CausalContext context)
    {
        foreach (var f in Fields)
        {
            if (f.Value.FirstUnseen(context) is { } d) return d;
        }
        return null;
    }

    internal override FieldValue? Without(CausalContext removed) => Of(Without(Fields, removed));

    internal static ImmutableArray<MapEntry> Without(ImmutableArray<MapEntry> fields, CausalContext removed)
    {
        if (removed.IsEmpty || fields.IsEmpty) return fields;
        ImmutableArray<MapEntry>.Builder? result = null;
        for (int i = 0; i < fields.Length; i++)
        {
            var value = fields[i].Value.Without(removed);
            if (result is null)
            {
                if (ReferenceEquals(value, fields[i].Value)) continue;
                result = ImmutableArray.CreateBuilder<MapEntry>(fields.Length);
                for (int k = 0; k < i; k++) result.Add(fields[k]);
            }
            if (value is not null) result.Add(new MapEntry(fields[i].Key, value));
        }
        return result is null ? fields : result.ToImmutable();
    }

    private protected override FieldValue? JoinWith(FieldValue? other, CausalContext thisSeen, CausalContext otherSeen) =>
        Of(Join(Fields, thisSeen, (other as MapField)?.Fields ?? ImmutableArray<MapEntry>.Empty, otherSeen));

    /// <summary>Per field the join of its values; fields left without dots are gone.</summary>
    internal static ImmutableArray<MapEntry> Join(ImmutableArray<MapEntry> a, CausalContext aSeen, ImmutableArray<MapEntry> b, CausalContext bSeen)
    {
        if (b.IsEmpty) return Without(a, bSeen);
        if (a.IsEmpty) return Without(b, aSeen);
        var result = ImmutableArray.CreateBuilder<MapEntry>(a.Length + b.Length);
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            int c = i >= a.Length ? 1 : j >= b.Length ? -1 : a[i].Key.CompareTo(b[j].Key);
            var key = c <= 0 ? a[i].Key : b[j].Key;
            var va = c <= 0 ? a[i++].Value : null;
            var vb = c >= 0 ? b[j++].Value : null;
            if (FieldValue.Join(va, aSeen, vb, bSeen) is { } joined) result.Add(new MapEntry(key, joined));
        }
        return result.ToImmutable();
    }

    public override bool Equals(FieldValue? other) => other is MapField m && SameFields(Fields, m.Fields);

    internal static bool SameFields(ImmutableArray<MapEntry> a, ImmutableArray<MapEntry> b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i].Key != b[i].Key || !a[i].Value.Equals(b[i].Value)) return false;
        }
        return true;
    }

    public override int GetHashCode() => base.GetHashCode();

    public override string ToString() => $"map({string.Join(",", Fields)})";
}
