namespace OrleansDynamo.Core.DataTypes;

/// <summary>The state an operation made, and the delta: the part of it to send, such that merging the delta into the state before gives the state after.</summary>
public readonly record struct DataTypeUpdate<T>(T State, T Delta) where T : DataTypeState;

/// <summary>
/// The replicated state of a convergent data type (a typed bucket's value). <see cref="Merge"/> is a join: commutative,
/// associative and idempotent, so replicas that exchange states in any order, any number of times (replica writes,
/// read repair, hints, anti-entropy, transfers) converge. States change only through operations applied by a
/// coordinator under its actor (<see cref="Apply"/>).
/// </summary>
public abstract class DataTypeState : IEquatable<DataTypeState>
{
    private protected DataTypeState()
    {
    }

    public abstract DataTypeKind Kind { get; }

    /// <summary>What the state has seen: a client reads it with the value and sends it back with a remove.</summary>
    public abstract CausalContext Context { get; }

    /// <summary>True for the state nothing has been applied to.</summary>
    public abstract bool IsEmpty { get; }

    public static DataTypeState EmptyOf(DataTypeKind kind) => kind switch
    {
        DataTypeKind.Counter => PnCounter.Empty,
        DataTypeKind.Set => OrSet.Empty,
        DataTypeKind.Map => OrMap.Empty,
        _ => throw new DataTypeOperationException($"a bucket's value cannot be a {DataTypeNames.Of(kind)}: only counters, sets and maps"),
    };

    /// <summary>The join of two states of one type.</summary>
    /// <exception cref="ArgumentException">The states are of different types.</exception>
    public DataTypeState Merge(DataTypeState other) => (this, other) switch
    {
        (PnCounter a, PnCounter b) => a.Merge(b),
        (OrSet a, OrSet b) => a.Merge(b),
        (OrMap a, OrMap b) => a.Merge(b),
        _ => throw new ArgumentException($"cannot merge a {DataTypeNames.Of(Kind)} with a {DataTypeNames.Of(other.Kind)}"),
    };

    /// <summary>
    /// True when <paramref name="other"/> holds nothing this state lacks: merging it changes nothing (read repair and
    /// anti-entropy send a replica a state only when this is false for it).
    /// </summary>
    public bool Subsumes(DataTypeState other) => Equals(other) || Merge(other).Equals(this);

    /// <summary>
    /// Applies a client's operation as coordinator <paramref name="actor"/> (the silo's dot actor). Removes drop what
    /// <paramref name="observed"/> (the context the client read) saw; null means what this replica has seen.
    /// </summary>
    /// <exception cref="DataTypeOperationException">The operation is refused; nothing changed.</exception>
    /// <exception cref="Versioning.VersionCounterOverflowException">The actor has no dot left (2^53 used); nothing changed.</exception>
    public DataTypeUpdate<DataTypeState> Apply(DataTypeOperation operation, string actor, CausalContext? observed = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        switch (this, operation)
        {
            case (_, SetAdd { Elements.IsDefault: true } or SetRemove { Elements.IsDefault: true }):
                throw new DataTypeOperationException($"a set operation needs a list of elements");
            case (PnCounter counter, CounterIncrement increment):
                var c = counter.Increment(actor, increment.Amount);
                return new(c.State, c.Delta);
            case (OrSet set, SetAdd add):
                var a = set.Add(actor, add.Elements);
                return new(a.State, a.Delta);
            case (OrSet set, SetRemove remove):
                var r = set.Remove(remove.Elements, observed);
                return new(r.State, r.Delta);
            case (OrMap map, MapUpdate update):
                var m = map.Update(actor, update, observed);
                return new(m.State, m.Delta);
            default:
                throw new DataTypeOperationException($"a {DataTypeNames.Of(operation.Kind)} operation ({operation}) does not apply to a {DataTypeNames.Of(Kind)}");
        }
    }

    public abstract bool Equals(DataTypeState? other);

    public override bool Equals(object? obj) => Equals(obj as DataTypeState);

    public override int GetHashCode() => HashCode.Combine(Kind, Context);

    /// <summary>Refuses an operation carrying more than <see cref="DataTypeLimits.MaxItemsPerOperation"/> items.</summary>
    private protected static void CheckItems(int items, string what)
    {
        if (items > DataTypeLimits.MaxItemsPerOperation)
            throw new DataTypeOperationException($"{what} carries {items} elements and field operations; the limit is {DataTypeLimits.MaxItemsPerOperation}");
    }
}
