using System.Collections.Immutable;
using System.Runtime.InteropServices;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

/// <summary>
/// The binary formats of data type states (stored values, replica writes, hints, anti-entropy) and of the context a
/// client reads and sends back with removes. Each starts with a format byte; formats are only ever appended.
/// <code>
/// state        := 0x01 byte kind body(kind)
///   counter    := varuint n (string actor, varuint increments, varuint decrements)*n        actors ascending
///   set        := actors context setstore varuint n (string element, context)*n             waiting removes
///   map        := actors context mapstore varuint n (path, context)*n                         waiting removes
/// context v1   := 0x01 actors context                                                          (a client's context)
/// actors       := varuint n string*n                 ascending; each named by the context or a waiting remove
/// context      := varuint n (varuint actor, varuint counter)*n  varuint m (varuint actor, varuint counter)*m
///                 the version vector (actors ascending), then the dot cloud (ascending, each past a gap)
/// dot          := varuint actor, varuint counter     (actor: an index into actors)
/// setstore     := varuint n (string element, varuint k, dot*k)*n                               elements ascending, k ≥ 1
/// mapstore     := varuint n (string name, byte kind, field(kind))*n                            keys ascending, n ≥ 1 below the top
///   counter    := varuint n (dot, varuint increments, varuint decrements)*n                    one per actor, ascending
///   set        := setstore     register := varuint n (dot, bytes value)*n     flag := varuint n dot*n
///   map        := mapstore (one level deeper; at most 8)
/// path         := varuint k (string name, byte kind)*k, byte hasElement (0|1), [string element]
/// </code>
/// The encoding is canonical: one state, one byte string. The decoder refuses anything else (order, an unused actor, an
/// empty field, a counter outside 1..2^53, a dot the context has not seen, a waiting remove not applied or already
/// caught up with) with a <see cref="VersionFormatException"/> naming the field, element or entry; every count is
/// checked against the bytes left before anything is allocated for it.
/// </summary>
public static class DataTypeCodec
{
    public const byte FormatV1 = 1;
    public const byte ContextFormatV1 = 1;

    /// <summary>Any count in a state: merges add up what replicas did, so only the bytes behind a count bound it.</summary>
    private const int MaxCount = 1 << 24;

    private const int MaxElementBytes = DataTypeLimits.MaxElementBytes;
    private const int MaxFieldNameBytes = DataTypeLimits.MaxFieldNameBytes;
    private const int MaxActorBytes = DataTypeLimits.MaxActorBytes;

    public static byte[] Encode(DataTypeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var w = new FormatWriter(64);
        w.Byte(FormatV1);
        w.Byte((byte)state.Kind);
        switch (state)
        {
            case PnCounter counter:
                w.VarUInt((ulong)counter.Entries.Length);
                foreach (var e in counter.Entries)
                {
                    w.String(e.Actor);
                    w.VarUInt((ulong)e.Increments);
                    w.VarUInt((ulong)e.Decrements);
                }
                break;
            case OrSet set:
            {
                var actors = WriteActors(w, set.Context, set.Deferred);
                WriteContext(w, set.Context, actors);
                WriteSetStore(w, set.Entries, actors);
                w.VarUInt((ulong)set.Deferred.Length);
                foreach (var r in set.Deferred)
                {
                    w.String(r.Element!);
                    WriteContext(w, r.Observed, actors);
                }
                break;
            }
            case OrMap map:
            {
                var actors = WriteActors(w, map.Context, map.Deferred);
                WriteContext(w, map.Context, actors);
                WriteMapStore(w, map.Fields, actors);
                w.VarUInt((ulong)map.Deferred.Length);
                foreach (var r in map.Deferred)
                {
                    w.VarUInt((ulong)r.Path.Length);
                    foreach (var k in r.Path)
                    {
                        w.String(k.Name);
                        w.Byte((byte)k.Kind);
                    }
                    w.Byte(r.Element is null ? (byte)0 : (byte)1);
                    if (r.Element is not null) w.String(r.Element);
                    WriteContext(w, r.Observed, actors);
                }
                break;
            }
            default:
                throw new ArgumentException($"unknown data type state {state.GetType().Name}");
        }
        return w.ToArray();
    }

    /// <exception cref="VersionFormatException">The bytes are not a well-formed, canonical state.</exception>
    public static DataTypeState Decode(ReadOnlySpan<byte> bytes)
    {
        var r = new FormatReader(bytes, "data type");
        byte format = r.Byte();
        if (format != FormatV1) throw r.Fail($"has unknown format {format}");
        var kind = (DataTypeKind)r.Byte();
        try
        {
            return kind switch
            {
                DataTypeKind.Counter => ReadCounter(bytes[2..]),
                DataTypeKind.Set => ReadSet(bytes[2..]),
                DataTypeKind.Map => ReadMap(bytes[2..]),
                _ when DataTypeNames.IsDefined(kind) => throw r.Fail($"is a {DataTypeNames.Of(kind)}, which only a map field may be"),
                _ => throw r.Fail($"has unknown type {(int)kind}"),
            };
        }
        catch (ArgumentException e)
        {
            throw new VersionFormatException($"{DataTypeNames.Of(kind)} is invalid: {e.Message}");
        }
    }

    /// <summary>Decodes a state that must be of type <typeparamref name="T"/>.</summary>
    /// <exception cref="VersionFormatException">The bytes are not a well-formed state, or one of another type.</exception>
    public static T Decode<T>(ReadOnlySpan<byte> bytes) where T : DataTypeState =>
        Decode(bytes) as T ?? throw new VersionFormatException($"data type is a {DataTypeNames.Of((DataTypeKind)bytes[1])}, not the type expected");

    public static byte[] EncodeContextBytes(CausalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var w = new FormatWriter(8 + context.Count * 12);
        w.Byte(ContextFormatV1);
        var actors = WriteActors(w, context, ImmutableArray<DeferredRemove>.Empty);
        WriteContext(w, context, actors);
        return w.ToArray();
    }

    /// <summary>A client's context, as opaque base64.</summary>
    public static string EncodeContext(CausalContext context) => Convert.ToBase64String(EncodeContextBytes(context));

    /// <summary>Decodes a client's context; null or empty means none (a remove then drops what the coordinator has seen).</summary>
    /// <exception cref="VersionFormatException">The text is not base64 of a well-formed context.</exception>
    public static CausalContext? DecodeContext(string? base64)
    {
        if (string.IsNullOrEmpty(base64)) return null;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new VersionFormatException("data type context is not valid base64");
        }
        return DecodeContextBytes(bytes);
    }

    /// <exception cref="VersionFormatException">The bytes are not a well-formed, canonical context.</exception>
    public static CausalContext DecodeContextBytes(ReadOnlySpan<byte> bytes)
    {
        var r = new FormatReader(bytes, "data type context");
        byte format = r.Byte();
        if (format != ContextFormatV1) throw r.Fail($"has unknown format {format}");
        try
        {
            var actors = ReadActors(ref r);
            var context = ReadContext(ref r, actors, new(""));
            actors.CheckAllUsed(ref r);
            r.End();
            return context;
        }
        catch (ArgumentException e)
        {
            throw new VersionFormatException($"data type context is invalid: {e.Message}");
        }
    }

    // ---- writing ----

    private static Dictionary<string, int> WriteActors(FormatWriter w, CausalContext context, ImmutableArray<DeferredRemove> deferred)
    {
        var names = new SortedSet<string>(context.Actors, StringComparer.Ordinal);
        foreach (var r in deferred) names.UnionWith(r.Observed.Actors);
        var index = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        w.VarUInt((ulong)names.Count);
        foreach (var name in names)
        {
            index[name] = index.Count;
            w.String(name);
        }
        return index;
    }

    private static void WriteContext(FormatWriter w, CausalContext context, Dictionary<string, int> actors)
    {
        w.VarUInt((ulong)context.Vector.Length);
        foreach (var d in context.Vector) WriteDot(w, d, actors);
        w.VarUInt((ulong)context.Cloud.Length);
        foreach (var d in context.Cloud) WriteDot(w, d, actors);
    }

    private static void WriteDot(FormatWriter w, Dot dot, Dictionary<string, int> actors)
    {
        w.VarUInt((ulong)actors[dot.Node]);
        w.VarUInt((ulong)dot.Counter);
    }

    private static void WriteSetStore(FormatWriter w, ImmutableArray<SetEntry> entries, Dictionary<string, int> actors)
    {
        w.VarUInt((ulong)entries.Length);
        foreach (var e in entries)
        {
            w.String(e.Element);
            w.VarUInt((ulong)e.Dots.Length);
            foreach (var d in e.Dots) WriteDot(w, d, actors);
        }
    }

    private static void WriteMapStore(FormatWriter w, ImmutableArray<MapEntry> fields, Dictionary<string, int> actors)
    {
        w.VarUInt((ulong)fields.Length);
        foreach (var f in fields)
        {
            w.String(f.Key.Name);
            w.Byte((byte)f.Key.Kind);
            switch (f.Value)
            {
                case CounterField c:
                    w.VarUInt((ulong)c.Entries.Length);
                    foreach (var e in c.Entries)
                    {
                        WriteDot(w, e.Dot, actors);
                        w.VarUInt((ulong)e.Increments);
                        w.VarUInt((ulong)e.Decrements);
                    }
                    break;
                case SetField s:
                    WriteSetStore(w, s.Entries, actors);
                    break;
                case RegisterField g:
                    w.VarUInt((ulong)g.Values.Length);
                    foreach (var v in g.Values)
                    {
                        WriteDot(w, v.Dot, actors);
                        w.Bytes(v.Value);
                    }
                    break;
                case FlagField flag:
                    w.VarUInt((ulong)flag.Dots.Length);
                    foreach (var d in flag.Dots) WriteDot(w, d, actors);
                    break;
                case MapField m:
                    WriteMapStore(w, m.Fields, actors);
                    break;
                default:
                    throw new ArgumentException($"unknown field value {f.Value.GetType().Name}");
            }
        }
    }

    // ---- reading ----
    //
    // A decode allocates what the state holds and little else: messages are built only when something is refused (from
    // a Site, a struct, or the path of map fields being read), so a large valid state costs a small multiple of its bytes.

    /// <summary>
    /// What is being read, for a message: the map field being read (a path that is read only on failure, while it still
    /// names that field), a prefix, maybe a quoted name, a suffix. Turned into text only on failure.
    /// </summary>
    private readonly record struct Site(string Prefix, string? Name = null, string Suffix = "", List<FieldKey>? Path = null)
    {
        public override string ToString() =>
            (Path is { Count: > 0 } ? Where(Path) + " " : "") + (Name is null ? Prefix + Suffix : $"{Prefix}'{DataTypeLimits.Shorten(Name)}'{Suffix}");
    }

    /// <summary>The number of items that follow, each at least <paramref name="minBytesEach"/> bytes: refused when the rest cannot hold them.</summary>
    private static int Count(ref FormatReader r, int minBytesEach, Site items)
    {
        ulong n = r.VarUInt();
        if (n > MaxCount) throw r.Fail($"has too many {items}");
        if (n * (ulong)minBytesEach > (ulong)r.Remaining) throw r.Fail($"declares {n} {items}, more than its remaining {r.Remaining} bytes hold");
        return (int)n;
    }

    private static PnCounter ReadCounter(ReadOnlySpan<byte> body)
    {
        var r = new FormatReader(body, "counter");
        int n = Count(ref r, 4, new("entries"));
        var entries = new PnEntry[n];
        for (int i = 0; i < n; i++)
        {
            string actor = r.String(MaxActorBytes);
            if (actor.Length == 0) throw r.Fail($"entry {i} has an empty actor");
            if (i > 0 && string.CompareOrdinal(entries[i - 1].Actor, actor) >= 0) throw r.Fail($"entry '{actor}' is out of order");
            long p = ReadTotal(ref r, new("entry ", actor, " increments"));
            long m = ReadTotal(ref r, new("entry ", actor, " decrements"));
            entries[i] = new PnEntry(actor, p, m);
        }
        r.End();
        return PnCounter.Create(ImmutableCollectionsMarshal.AsImmutableArray(entries));
    }

    private static OrSet ReadSet(ReadOnlySpan<byte> body)
    {
        var r = new FormatReader(body, "set");
        var actors = ReadActors(ref r);
        var context = ReadContext(ref r, actors, new("context "));
        var entries = ReadSetStore(ref r, actors, []);
        int n = Count(ref r, 3, new("waiting removes"));
        var deferred = new DeferredRemove[n];
        for (int i = 0; i < n; i++)
        {
            string element = r.String(MaxElementBytes);
            var observed = ReadContext(ref r, actors, new("waiting remove of ", element, " context "));
            deferred[i] = new DeferredRemove(ImmutableArray<FieldKey>.Empty, element, observed);
        }
        actors.CheckAllUsed(ref r);
        r.End();
        return OrSet.Create(context, ImmutableCollectionsMarshal.AsImmutableArray(entries), ImmutableCollectionsMarshal.AsImmutableArray(deferred));
    }

    private static OrMap ReadMap(ReadOnlySpan<byte> body)
    {
        var r = new FormatReader(body, "map");
        var actors = ReadActors(ref r);
        var context = ReadContext(ref r, actors, new("context "));
        var fields = ReadMapStore(ref r, actors, []);
        int n = Count(ref r, 4, new("waiting removes"));
        var deferred = new DeferredRemove[n];
        for (int i = 0; i < n; i++)
        {
            string where = $"waiting remove {i} ";
            int k = Count(ref r, 2, new(where, null, "path fields"));
            if (k == 0) throw r.Fail($"{where}has an empty path");
            if (k > DataTypeLimits.MaxMapDepth) throw r.Fail($"{where}has a path of {k} fields, deeper than maps nest");
            var path = new FieldKey[k];
            for (int j = 0; j < k; j++) path[j] = ReadKey(ref r, new(where));
            byte hasElement = r.Byte();
            if (hasElement > 1) throw r.Fail($"{where}has element marker {hasElement}");
            string? element = hasElement == 1 ? r.String(MaxElementBytes) : null;
            var observed = ReadContext(ref r, actors, new(where + "context "));
            deferred[i] = new DeferredRemove(ImmutableCollectionsMarshal.AsImmutableArray(path), element, observed);
        }
        actors.CheckAllUsed(ref r);
        r.End();
        return OrMap.Create(context, fields, ImmutableCollectionsMarshal.AsImmutableArray(deferred));
    }

    /// <summary>The actor table: names in strictly ascending order, each to be named by some context.</summary>
    private sealed class ActorTable(string[] names)
    {
        private readonly bool[] _used = new bool[names.Length];

        public string this[int index] => names[index];

        public int Length => names.Length;

        public void Use(int index) => _used[index] = true;

        public void CheckAllUsed(ref FormatReader r)
        {
            for (int i = 0; i < _used.Length; i++)
            {
                if (!_used[i]) throw r.Fail($"names actor '{names[i]}' that no context holds");
            }
        }
    }

    private static ActorTable ReadActors(ref FormatReader r)
    {
        int n = Count(ref r, 2, new("actors"));
        var names = new string[n];
        for (int i = 0; i < n; i++)
        {
            names[i] = r.String(MaxActorBytes);
            if (names[i].Length == 0) throw r.Fail($"actor {i} has an empty name");
            if (i > 0 && string.CompareOrdinal(names[i - 1], names[i]) >= 0) throw r.Fail($"actor '{names[i]}' is out of order");
        }
        return new ActorTable(names);
    }

    private static CausalContext ReadContext(ref FormatReader r, ActorTable actors, Site where)
    {
        int n = Count(ref r, 2, where with { Suffix = where.Suffix + "vector entries" });
        var vector = new Dot[n];
        for (int i = 0; i < n; i++) vector[i] = ReadDot(ref r, actors, where with { Suffix = where.Suffix + "vector entry" }, mark: true);
        int m = Count(ref r, 2, where with { Suffix = where.Suffix + "cloud dots" });
        var cloud = new Dot[m];
        for (int i = 0; i < m; i++) cloud[i] = ReadDot(ref r, actors, where with { Suffix = where.Suffix + "cloud dot" }, mark: true);
        if (n == 0 && m == 0) return CausalContext.Empty;
        try
        {
            return CausalContext.FromCanonical(ImmutableCollectionsMarshal.AsImmutableArray(vector), ImmutableCollectionsMarshal.AsImmutableArray(cloud));
        }
        catch (ArgumentException e)
        {
            throw r.Fail($"{where}is not canonical: {e.Message}");
        }
    }

    private static Dot ReadDot(ref FormatReader r, ActorTable actors, Site what, bool mark = false)
    {
        ulong index = r.VarUInt();
        if (index >= (ulong)actors.Length) throw r.Fail($"{what} names actor #{index} of {actors.Length}");
        string actor = actors[(int)index];
        if (mark) actors.Use((int)index);
        ulong counter = r.VarUInt();
        if (counter == 0) throw r.Fail($"{what} '{actor}' has counter 0 (counters start at 1)");
        if (counter > VectorClock.MaxCounter) throw r.Fail($"{what} '{actor}' has counter {counter}, above the maximum {VectorClock.MaxCounter}");
        return new Dot(actor, (long)counter);
    }

    private static long ReadTotal(ref FormatReader r, Site what)
    {
        ulong total = r.VarUInt();
        if (total > (ulong)DataTypeLimits.MaxCounter) throw r.Fail($"{what} total {total}, above the maximum {DataTypeLimits.MaxCounter}");
        return (long)total;
    }

    /// <summary>A set's elements; <paramref name="path"/> names the map field they are in (empty at the top).</summary>
    private static SetEntry[] ReadSetStore(ref FormatReader r, ActorTable actors, List<FieldKey> path)
    {
        int n = Count(ref r, 4, new("elements", Path: path));
        var entries = new SetEntry[n];
        for (int i = 0; i < n; i++)
        {
            string element = r.String(MaxElementBytes);
            if (i > 0 && string.CompareOrdinal(entries[i - 1].Element, element) >= 0) throw r.Fail($"{new Site("element ", element, " is out of order", path)}");
            int k = Count(ref r, 2, new("dots of element ", element, "", path));
            if (k == 0) throw r.Fail($"{new Site("element ", element, " has no dots", path)}");
            var dots = new Dot[k];
            for (int j = 0; j < k; j++) dots[j] = ReadDot(ref r, actors, new("element ", element, " dot", path));
            if (!Dots.IsStrictlySorted(dots)) throw r.Fail($"{new Site("element ", element, " has dots out of order", path)}");
            entries[i] = new SetEntry(element, ImmutableCollectionsMarshal.AsImmutableArray(dots));
        }
        return entries;
    }

    private static FieldKey ReadKey(ref FormatReader r, Site where)
    {
        string name = r.String(MaxFieldNameBytes);
        if (name.Length == 0) throw r.Fail($"{where}has a field with an empty name");
        var kind = (DataTypeKind)r.Byte();
        if (!DataTypeNames.IsDefined(kind)) throw r.Fail($"{where}field '{DataTypeLimits.Shorten(name)}' has unknown type {(int)kind}");
        return new FieldKey(name, kind);
    }

    /// <summary>"field 'a'(map)/'b'(counter)": the field at <paramref name="path"/>, for a message.</summary>
    private static string Where(List<FieldKey> path) =>
        "field " + string.Join("/", path.Select(k => new FieldKey(DataTypeLimits.Shorten(k.Name), k.Kind)));

    /// <summary>The fields of the map at <paramref name="path"/> (empty: the state's own map), one level deeper than the path.</summary>
    private static ImmutableArray<MapEntry> ReadMapStore(ref FormatReader r, ActorTable actors, List<FieldKey> path)
    {
        int n = Count(ref r, 4, new("fields", Path: path));
        if (n == 0 && path.Count > 0) throw r.Fail($"{Where(path)} has no fields");
        var fields = new MapEntry[n];
        for (int i = 0; i < n; i++)
        {
            var key = ReadKey(ref r, new("", Path: path));
            path.Add(key);
            if (i > 0 && fields[i - 1].Key.CompareTo(key) >= 0) throw r.Fail($"{Where(path)} is out of order");
            FieldValue value;
            try
            {
                value = key.Kind switch
                {
                    DataTypeKind.Counter => ReadCounterField(ref r, actors, path),
                    DataTypeKind.Set => SetField.Create(ImmutableCollectionsMarshal.AsImmutableArray(ReadSetStore(ref r, actors, path))),
                    DataTypeKind.Register => ReadRegisterField(ref r, actors, path),
                    DataTypeKind.Flag => ReadFlagField(ref r, actors, path),
                    _ => ReadNestedMap(ref r, actors, path),
                };
            }
            catch (ArgumentException e)
            {
                throw r.Fail($"{Where(path)} is invalid: {e.Message}");
            }
            fields[i] = new MapEntry(key, value);
            path.RemoveAt(path.Count - 1);
        }
        return ImmutableCollectionsMarshal.AsImmutableArray(fields);
    }

    private static CounterField ReadCounterField(ref FormatReader r, ActorTable actors, List<FieldKey> path)
    {
        int k = Count(ref r, 4, new("entries", Path: path));
        var entries = new CounterEntry[k];
        for (int j = 0; j < k; j++)
        {
            var dot = ReadDot(ref r, actors, new("entry", Path: path));
            long p = ReadTotal(ref r, new("entry ", dot.Node, " increments", path));
            long m = ReadTotal(ref r, new("entry ", dot.Node, " decrements", path));
            entries[j] = new CounterEntry(dot, p, m);
        }
        return CounterField.Create(ImmutableCollectionsMarshal.AsImmutableArray(entries));
    }

    private static RegisterField ReadRegisterField(ref FormatReader r, ActorTable actors, List<FieldKey> path)
    {
        int k = Count(ref r, 3, new("values", Path: path));
        var values = new RegisterValue[k];
        for (int j = 0; j < k; j++)
        {
            var dot = ReadDot(ref r, actors, new("value", Path: path));
            values[j] = new RegisterValue(dot, r.Bytes(DataTypeLimits.MaxRegisterBytes));
        }
        return RegisterField.Create(ImmutableCollectionsMarshal.AsImmutableArray(values));
    }

    private static FlagField ReadFlagField(ref FormatReader r, ActorTable actors, List<FieldKey> path)
    {
        int k = Count(ref r, 2, new("dots", Path: path));
        var dots = new Dot[k];
        for (int j = 0; j < k; j++) dots[j] = ReadDot(ref r, actors, new("dot", Path: path));
        return FlagField.Create(ImmutableCollectionsMarshal.AsImmutableArray(dots));
    }

    private static MapField ReadNestedMap(ref FormatReader r, ActorTable actors, List<FieldKey> path)
    {
        if (path.Count >= DataTypeLimits.MaxMapDepth) throw r.Fail($"{Where(path)} nests maps deeper than {DataTypeLimits.MaxMapDepth}");
        return MapField.Create(ReadMapStore(ref r, actors, path));
    }
}
