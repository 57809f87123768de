using System.Collections.Immutable;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// The specification the data types are checked against, written without them: a state is known only by the set of
/// events in its causal history (<c>H</c>, the ids of the updates and removes applied to it or merged into it), and
/// its value is computed from those events alone (Bieniusa et al.'s OR-Set specification, extended to map fields):
/// <list type="bullet">
/// <item>an update (add, counter step, assignment, enable) stands in H unless H holds a remove that observed it, on its
/// path (and element), or a later update of the same place at a coordinator that held it (which replaced it);</item>
/// <item>a remove observed exactly the updates in the causal history of the replica its client read;</item>
/// <item>a set holds the elements of its standing adds; a register the values of its standing assignments; a flag is on
/// while an enable stands; a map field is present while anything under it stands;</item>
/// <item>a map counter sums each actor's standing step, which carries that actor's running total as its coordinator saw
/// it; a bucket's counter is the sum of every increment in H.</item>
/// </list>
/// So "a removed element stays removed unless re-added after the remove was observed" and "an add the remove did not
/// observe survives" are not asserted case by case: every replica's value after every step must equal this one.
/// </summary>
public sealed class EventModel
{
    public enum EventKind
    {
        /// <summary>An increment of a bucket's counter (no dot).</summary>
        Increment,
        CounterStep,
        Add,
        Assign,
        Enable,
        Remove,
    }

    public sealed record Event(int Id, EventKind Kind, ImmutableArray<FieldKey> Path, string? Element, Dot Dot, long Increments, long Decrements, byte[]? Value)
    {
        public bool HasDot => Kind is not (EventKind.Increment or EventKind.Remove);
    }

    private readonly List<Event> _events = [];
    private readonly List<List<int>> _removedBy = [];
    private readonly Dictionary<string, long> _lastDot = [];

    public IReadOnlyList<Event> Events => _events;

    private Event Add(EventKind kind, ImmutableArray<FieldKey> path, string? element, Dot dot, long p = 0, long n = 0, byte[]? value = null)
    {
        var e = new Event(_events.Count, kind, path, element, dot, p, n, value);
        _events.Add(e);
        _removedBy.Add([]);
        return e;
    }

    private Dot NewDot(string actor)
    {
        long next = _lastDot.GetValueOrDefault(actor) + 1;
        _lastDot[actor] = next;
        return new Dot(actor, next);
    }

    /// <summary>A remove of what <paramref name="observed"/> holds under <paramref name="path"/> (of <paramref name="element"/> only, when given).</summary>
    private Event Remove(ImmutableArray<FieldKey> path, string? element, IReadOnlySet<Dot> observed)
    {
        var remove = Add(EventKind.Remove, path, element, default);
        foreach (var u in _events)
        {
            if (!u.HasDot || !observed.Contains(u.Dot)) continue;
            bool under = element is null
                ? u.Path.Length >= path.Length && u.Path.AsSpan(0, path.Length).SequenceEqual(path.AsSpan())
                : u.Kind == EventKind.Add && u.Element == element && u.Path.AsSpan().SequenceEqual(path.AsSpan());
            if (under) _removedBy[u.Id].Add(remove.Id);
        }
        return remove;
    }

    public bool Stands(Event u, IReadOnlySet<int> history) =>
        u.HasDot && history.Contains(u.Id) && !_removedBy[u.Id].Any(history.Contains);

    public IEnumerable<Event> Standing(IReadOnlySet<int> history) => history.Select(id => _events[id]).Where(u => Stands(u, history));

    /// <summary>The dots of every update in the history: what a client reading a replica with this history observed.</summary>
    public HashSet<Dot> Seen(IReadOnlySet<int> history) => history.Select(id => _events[id]).Where(u => u.HasDot).Select(u => u.Dot).ToHashSet();

    /// <summary>
    /// Applies a client's operation at a coordinator whose history is <paramref name="history"/> (extended in place, step by
    /// step, as the coordinator's state is); removes observe <paramref name="observed"/>, or the coordinator's history when null.
    /// </summary>
    public void Apply(ISet<int> history, string actor, DataTypeOperation operation, IReadOnlySet<Dot>? observed)
    {
        switch (operation)
        {
            case CounterIncrement inc:
                if (inc.Amount != 0) history.Add(Add(EventKind.Increment, [], null, default, inc.Amount).Id);
                break;
            case SetAdd or SetRemove:
                Field(history, actor, [], operation, observed);
                break;
            case MapUpdate update:
                Fields(history, actor, [], update, observed);
                break;
            default:
                throw new InvalidOperationException($"no model for {operation}");
        }
    }

    private void Fields(ISet<int> history, string actor, ImmutableArray<FieldKey> prefix, MapUpdate update, IReadOnlySet<Dot>? observed)
    {
        foreach (var op in update.Fields)
        {
            var path = prefix.Add(op.Field);
            if (op is FieldRemove) history.Add(Remove(path, null, observed ?? Seen((IReadOnlySet<int>)history)).Id);
            else Field(history, actor, path, ((FieldUpdate)op).Operation, observed);
        }
    }

    private void Field(ISet<int> history, string actor, ImmutableArray<FieldKey> path, DataTypeOperation operation, IReadOnlySet<Dot>? observed)
    {
        var h = (IReadOnlySet<int>)history;
        switch (operation)
        {
            case CounterIncrement inc:
            {
                if (inc.Amount == 0) return;
                var previous = Standing(h).Where(u => u.Kind == EventKind.CounterStep && u.Dot.Node == actor && SamePath(u.Path, path)).ToList();
                long p = previous.Sum(u => u.Increments), n = previous.Sum(u => u.Decrements);
                Replace(history, path, null, previous);
                var dot = NewDot(actor);
                history.Add(Add(EventKind.CounterStep, path, null, dot, p + Math.Max(0, inc.Amount), n + Math.Max(0, -inc.Amount)).Id);
                break;
            }
            case SetAdd add:
                foreach (var e in add.Elements)
                {
                    Replace(history, path, e, Standing(h).Where(u => u.Kind == EventKind.Add && u.Element == e && SamePath(u.Path, path)).ToList());
                    history.Add(Add(EventKind.Add, path, e, NewDot(actor)).Id);
                }
                break;
            case SetRemove remove:
                foreach (var e in remove.Elements) history.Add(Remove(path, e, observed ?? Seen(h)).Id);
                break;
            case RegisterAssign assign:
                Replace(history, path, null, Standing(h).Where(u => u.Kind == EventKind.Assign && SamePath(u.Path, path)).ToList());
                history.Add(Add(EventKind.Assign, path, null, NewDot(actor), value: assign.Value).Id);
                break;
            case FlagUpdate { Enable: true }:
                Replace(history, path, null, Standing(h).Where(u => u.Kind == EventKind.Enable && SamePath(u.Path, path)).ToList());
                history.Add(Add(EventKind.Enable, path, null, NewDot(actor)).Id);
                break;
            case FlagUpdate:
                history.Add(Remove(path, null, observed ?? Seen(h)).Id);
                break;
            case MapUpdate nested:
                Fields(history, actor, path, nested, observed);
                break;
            default:
                throw new InvalidOperationException($"no model for {operation}");
        }
    }

    /// <summary>An update replaces the updates of its place that its coordinator holds: a remove of exactly those.</summary>
    private void Replace(ISet<int> history, ImmutableArray<FieldKey> path, string? element, List<Event> replaced)
    {
        if (replaced.Count > 0) history.Add(Remove(path, element, replaced.Select(u => u.Dot).ToHashSet()).Id);
    }

    private static bool SamePath(ImmutableArray<FieldKey> a, ImmutableArray<FieldKey> b) => a.AsSpan().SequenceEqual(b.AsSpan());

    /// <summary>The sum of every increment of a bucket's counter in the history.</summary>
    public Int128 CounterValue(IReadOnlySet<int> history) =>
        history.Select(id => _events[id]).Where(u => u.Kind == EventKind.Increment).Aggregate((Int128)0, (sum, u) => sum + u.Increments);

    /// <summary>The value of a set or map with this history, in the form of <see cref="Projection.Of"/>.</summary>
    public SortedDictionary<string, string> Value(IReadOnlySet<int> history)
    {
        var leaves = new Dictionary<string, List<Event>>();
        foreach (var u in Standing(history))
        {
            string key = Projection.PathName(u.Path);
            if (!leaves.TryGetValue(key, out var list)) leaves[key] = list = [];
            list.Add(u);
        }
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, events) in leaves)
        {
            var kind = events[0].Path.IsEmpty ? DataTypeKind.Set : events[0].Path[^1].Kind;
            result[key] = kind switch
            {
                DataTypeKind.Counter => Projection.Counter(events.Aggregate((Int128)0, (s, u) => s + u.Increments - u.Decrements)),
                DataTypeKind.Set => Projection.Set(events.Select(u => u.Element!)),
                DataTypeKind.Register => Projection.Register(events.Select(u => u.Value!)),
                DataTypeKind.Flag => Projection.Flag,
                _ => throw new InvalidOperationException($"a standing update at {key}"),
            };
        }
        return result;
    }
}

/// <summary>A data type's value as leaf paths and printed values, the form the model computes too.</summary>
public static class Projection
{
    public const string Flag = "on";

    public static string PathName(ImmutableArray<FieldKey> path) => string.Join("/", path.Select(k => $"{k.Name}({DataTypeNames.Of(k.Kind)})"));

    public static string Counter(Int128 value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string Set(IEnumerable<string> elements) => "{" + string.Join(",", elements.Distinct().Order(StringComparer.Ordinal)) + "}";

    public static string Register(IEnumerable<byte[]> values) => "[" + string.Join(",", values.Select(Convert.ToHexString).Order(StringComparer.Ordinal)) + "]";

    public static SortedDictionary<string, string> Of(DataTypeState state)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        switch (state)
        {
            case PnCounter counter:
                result[""] = Counter(counter.Value);
                break;
            case OrSet set:
                if (!set.Entries.IsEmpty) result[""] = Set(set.Elements);
                break;
            case OrMap map:
                AddFields(result, ImmutableArray<FieldKey>.Empty, map.Fields);
                break;
        }
        return result;
    }

    private static void AddFields(SortedDictionary<string, string> result, ImmutableArray<FieldKey> prefix, ImmutableArray<MapEntry> fields)
    {
        foreach (var f in fields)
        {
            var path = prefix.Add(f.Key);
            switch (f.Value)
            {
                case MapField m:
                    AddFields(result, path, m.Fields);
                    break;
                case CounterField c:
                    result[PathName(path)] = Counter(c.Value);
                    break;
                case SetField s:
                    result[PathName(path)] = Set(s.Elements);
                    break;
                case RegisterField r:
                    result[PathName(path)] = Register(r.Values.Select(v => v.Value));
                    break;
                case FlagField:
                    result[PathName(path)] = Flag;
                    break;
            }
        }
    }

    /// <summary>Every dot a state holds in its store (not its context).</summary>
    public static IEnumerable<Dot> StoreDots(DataTypeState state) => state switch
    {
        OrSet set => set.Entries.SelectMany(e => e.Dots),
        OrMap map => map.Fields.SelectMany(f => f.Value.AllDots()),
        _ => [],
    };
}
