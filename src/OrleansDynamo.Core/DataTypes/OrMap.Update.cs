using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.DataTypes;

public sealed partial class OrMap
{
    /// <summary>
    /// Applies a client's map update as coordinator <paramref name="actor"/>: the field operations in order, all or none.
    /// Each update of a field makes one fresh dot (per element for a set add) that replaces what this replica holds in
    /// that place; removes (field removes, set removes, flag disables) drop what <paramref name="observed"/> saw there
    /// (null: what this replica has seen at that step). The delta is the join of every step's delta.
    /// </summary>
    /// <exception cref="DataTypeOperationException">A field or element is bad, an operation's type is not its field's,
    /// maps nest too deep, a counter would overflow, or there are too many items; nothing changed.</exception>
    public DataTypeUpdate<OrMap> Update(string actor, MapUpdate update, CausalContext? observed)
    {
        ArgumentNullException.ThrowIfNull(update);
        DataTypeLimits.CheckActor(actor);
        CheckItems(update.Items, "map update");
        var run = new UpdateRun(this, actor, observed);
        run.Fields(update, ImmutableArray<FieldKey>.Empty);
        return new(run.State, run.Delta);
    }

    /// <summary>One update in progress: the state after each step and the join of the steps' deltas.</summary>
    private sealed class UpdateRun(OrMap state, string actor, CausalContext? observed)
    {
        public OrMap State { get; private set; } = state;

        public OrMap Delta { get; private set; } = Empty;

        public void Fields(MapUpdate update, ImmutableArray<FieldKey> prefix)
        {
            if (update.Fields.IsDefault) throw new DataTypeOperationException($"{Where(prefix)}: a map update needs a list of field operations");
            foreach (var op in update.Fields)
            {
                if (op is null) throw new DataTypeOperationException($"{Where(prefix)}: a field operation is missing");
                var key = op.Field;
                DataTypeLimits.CheckFieldName(key.Name, Where(prefix));
                if (!DataTypeNames.IsDefined(key.Kind)) throw new DataTypeOperationException($"{Where(prefix)}: field '{DataTypeLimits.Shorten(key.Name)}' has unknown type {(int)key.Kind}");
                var path = prefix.Add(key);
                switch (op)
                {
                    case FieldRemove:
                        Remove(path, element: null);
                        break;
                    case FieldUpdate { Operation: null }:
                        throw new DataTypeOperationException($"{Where(path)}: the field update has no operation");
                    case FieldUpdate u when u.Operation.Kind != key.Kind:
                        throw new DataTypeOperationException(
                            $"{Where(path)}: the field is a {DataTypeNames.Of(key.Kind)}; a {DataTypeNames.Of(u.Operation.Kind)} operation ({u.Operation}) cannot change its type");
                    case FieldUpdate u:
                        Field(path, u.Operation);
                        break;
                    default:
                        throw new DataTypeOperationException($"{Where(path)}: unknown field operation {op.GetType().Name}");
                }
            }
        }

        private void Field(ImmutableArray<FieldKey> path, DataTypeOperation operation)
        {
            switch (operation)
            {
                case CounterIncrement inc:
                    Increment(path, inc.Amount);
                    break;
                case SetAdd add:
                    foreach (var e in Elements(add.Elements, path)) AddElement(path, e);
                    break;
                case SetRemove remove:
                    foreach (var e in Elements(remove.Elements, path)) Remove(path, e);
                    break;
                case RegisterAssign assign:
                    Assign(path, assign.Value);
                    break;
                case FlagUpdate { Enable: true }:
                    Enable(path);
                    break;
                case FlagUpdate:
                    Remove(path, element: null);
                    break;
                case MapUpdate nested:
                    if (path.Length + 1 > DataTypeLimits.MaxMapDepth)
                        throw new DataTypeOperationException($"{Where(path)}: maps nest at most {DataTypeLimits.MaxMapDepth} deep");
                    Fields(nested, path);
                    break;
                default:
                    throw new DataTypeOperationException($"{Where(path)}: unknown operation {operation.GetType().Name}");
            }
        }

        private static ImmutableArray<string> Elements(ImmutableArray<string> elements, ImmutableArray<FieldKey> path)
        {
            if (elements.IsDefault) throw new DataTypeOperationException($"{Where(path)}: a set operation needs a list of elements");
            foreach (var e in elements) DataTypeLimits.CheckElement(e, Where(path));
            return elements;
        }

        private void Increment(ImmutableArray<FieldKey> path, long amount)
        {
            if (amount == 0) return;
            var field = State.At(path.AsSpan()) as CounterField;
            var entry = field?.EntryOf(actor);
            var (p, n) = PnCounter.Step(entry?.Increments ?? 0, entry?.Decrements ?? 0, amount, field?.Value ?? 0, Where(path));
            var dot = State.Context.NextDot(actor);
            Step(entry is { } old ? [old.Dot, dot] : [dot], path, CounterField.Single(new CounterEntry(dot, p, n)));
        }

        private void AddElement(ImmutableArray<FieldKey> path, string element)
        {
            var old = State.At(path.AsSpan()) is SetField set ? SetField.DotsOf(set.Entries, element) : ImmutableArray<Dot>.Empty;
            var dot = State.Context.NextDot(actor);
            Step([.. old, dot], path, SetField.Of([new SetEntry(element, [dot])])!);
        }

        private void Assign(ImmutableArray<FieldKey> path, byte[] value)
        {
            if (value is null) throw new DataTypeOperationException($"{Where(path)}: a register assignment needs a value");
            if (value.Length > DataTypeLimits.MaxRegisterBytes)
                throw new DataTypeOperationException($"{Where(path)}: the value is {value.Length} bytes; the limit is {DataTypeLimits.MaxRegisterBytes}");
            var old = State.At(path.AsSpan())?.AllDots() ?? [];
            var dot = State.Context.NextDot(actor);
            Step([.. old, dot], path, RegisterField.Single(new RegisterValue(dot, (byte[])value.Clone())));
        }

        private void Enable(ImmutableArray<FieldKey> path)
        {
            var old = State.At(path.AsSpan())?.AllDots() ?? [];
            var dot = State.Context.NextDot(actor);
            Step([.. old, dot], path, FlagField.Of([dot])!);
        }

        /// <summary>A field remove, flag disable (<paramref name="element"/> null) or set element remove at <paramref name="path"/>.</summary>
        private void Remove(ImmutableArray<FieldKey> path, string? element)
        {
            var seen = observed ?? State.Context;
            var removed = DotsUnder(State.At(path.AsSpan()), element).Where(seen.Contains).ToList();
            var deferred = ImmutableArray<DeferredRemove>.Empty;
            if (!State.Context.Covers(seen))
            {
                if (State.Deferred.Length >= DataTypeLimits.MaxDeferredRemoves)
                    throw new DataTypeOperationException($"{Where(path)}: {State.Deferred.Length} removes already wait for updates this replica has not seen; read the map again");
                deferred = [new DeferredRemove(path, element, seen)];
            }
            if (removed.Count == 0 && deferred.IsEmpty) return;
            Merge(new OrMap(CausalContext.From(removed), ImmutableArray<MapEntry>.Empty, deferred), path);
        }

        /// <summary>An update step: <paramref name="value"/> at <paramref name="path"/>, its context the new dot and the dots it replaces.</summary>
        private void Step(Dot[] seen, ImmutableArray<FieldKey> path, FieldValue value) =>
            Merge(new OrMap(CausalContext.From(seen), MapField.Only(path.AsSpan(), value), ImmutableArray<DeferredRemove>.Empty), path);

        private void Merge(OrMap step, ImmutableArray<FieldKey> path)
        {
            State = State.MergeStep(step, path.AsSpan());
            Delta = Delta.MergeStep(step, path.AsSpan());
        }

        private static string Where(ImmutableArray<FieldKey> path) =>
            path.IsEmpty ? "map update" : "map field " + string.Join("/", path.Select(k => new FieldKey(DataTypeLimits.Shorten(k.Name), k.Kind)));
    }
}
