using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using OrleansDynamo.Core.DataTypes;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// FsCheck generators for the data type properties: histories of one key of each type on 2–4 replicas, with operations
/// over a few elements and a small map schema (the same name with two types, nested maps three deep), so concurrent
/// adds and removes of one element, removes with stale or blind contexts, and updates racing field removes are common.
/// </summary>
public static class DataTypeGenerators
{
    /// <summary>Histories per property; raise locally (e.g. 2000) for a deeper run.</summary>
    public const int MaxTest = 300;

    private static readonly string[] Elements = ["a", "b", "c"];

    private static Gen<ImmutableArray<string>> SomeElements(string[] alphabet) =>
        from n in Gen.Frequency((3, Gen.Constant(1)), (1, Gen.Constant(2)))
        from picks in Gen.ArrayOf(Gen.Elements(alphabet), n)
        select picks.ToImmutableArray();

    private static readonly Gen<long> Amount = Gen.Frequency(
        (6, Gen.Choose(1, 5).Select(i => (long)i)),
        (3, Gen.Choose(-5, -1).Select(i => (long)i)),
        (1, Gen.Constant(0L)));

    private static readonly Gen<DataTypeOperation> CounterOp = Amount.Select(a => (DataTypeOperation)new CounterIncrement(a));

    private static Gen<DataTypeOperation> SetOp(string[] alphabet) => Gen.Frequency(
        (3, SomeElements(alphabet).Select(e => (DataTypeOperation)new SetAdd(e))),
        (2, SomeElements(alphabet).Select(e => (DataTypeOperation)new SetRemove(e))));

    /// <summary>The fields a map may have at each depth (a name reused with another type, a nested map at each level but the last).</summary>
    private static ImmutableArray<FieldKey> Schema(int depth) => depth switch
    {
        1 => [new("x", DataTypeKind.Counter), new("x", DataTypeKind.Set), new("r", DataTypeKind.Register), new("f", DataTypeKind.Flag), new("m", DataTypeKind.Map)],
        2 => [new("x", DataTypeKind.Counter), new("s", DataTypeKind.Set), new("r", DataTypeKind.Register), new("n", DataTypeKind.Map)],
        _ => [new("x", DataTypeKind.Counter), new("f", DataTypeKind.Flag)],
    };

    private static Gen<DataTypeOperation> OperationOn(FieldKey key, int depth) => key.Kind switch
    {
        DataTypeKind.Counter => CounterOp,
        DataTypeKind.Set => SetOp(["a", "b"]),
        DataTypeKind.Register => Gen.Choose(1, 3).Select(v => (DataTypeOperation)new RegisterAssign([(byte)v])),
        DataTypeKind.Flag => Gen.Frequency((3, Gen.Constant(true)), (2, Gen.Constant(false))).Select(e => (DataTypeOperation)new FlagUpdate(e)),
        _ => MapOp(depth + 1),
    };

    private static Gen<MapFieldOperation> FieldOp(int depth) =>
        from key in Gen.Elements(Schema(depth).AsEnumerable())
        from remove in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from op in remove ? Gen.Constant((MapFieldOperation)new FieldRemove(key)) : OperationOn(key, depth).Select(o => (MapFieldOperation)new FieldUpdate(key, o))
        select op;

    private static Gen<DataTypeOperation> MapOp(int depth) =>
        from n in Gen.Frequency((4, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)))
        from ops in Gen.ArrayOf(FieldOp(depth), n)
        select (DataTypeOperation)new MapUpdate([.. ops]);

    private static Gen<DataTypeOperation> OperationOf(DataTypeKind kind) => kind switch
    {
        DataTypeKind.Counter => CounterOp,
        DataTypeKind.Set => SetOp(Elements),
        _ => MapOp(1),
    };

    private static Gen<DtStep> StepGen(DataTypeKind kind, int replicas, int clients) =>
        Gen.Frequency(
            (5, from client in Gen.Choose(0, clients - 1)
                from replica in Gen.Choose(0, replicas - 1)
                from blind in Gen.Frequency((1, Gen.Constant(true)), (4, Gen.Constant(false)))
                from op in OperationOf(kind)
                select (DtStep)new DtOp(client, replica, blind, op)),
            (3, from client in Gen.Choose(0, clients - 1)
                from replica in Gen.Choose(0, replicas - 1)
                select (DtStep)new DtRead(client, replica)),
            (3, from source in Gen.Choose(0, replicas - 1)
                from target in Gen.Choose(0, replicas - 1)
                where source != target
                from codec in Gen.Elements(true, false)
                select (DtStep)new DtSync(source, target, codec)));

    public static Gen<DtHistory> HistoryOf(DataTypeKind kind) =>
        from replicas in Gen.Choose(2, DataTypeWorld.Actors.Length)
        from clients in Gen.Choose(1, 3)
        from steps in Gen.Sized(size => Gen.Choose(0, Math.Clamp(size, 1, 50)).SelectMany(n => Gen.ArrayOf(StepGen(kind, replicas, clients), n)))
        select new DtHistory(kind, replicas, clients, [.. steps]);

    public static readonly Gen<DtHistory> AnyHistory =
        Gen.Elements(DataTypeKind.Counter, DataTypeKind.Set, DataTypeKind.Map).SelectMany(HistoryOf);

    /// <summary>Shrinks by dropping the back half, the front half, then single steps.</summary>
    public static IEnumerable<DtHistory> Shrink(DtHistory h)
    {
        var steps = h.Steps;
        if (steps.Length > 1)
        {
            yield return h with { Steps = steps[..(steps.Length / 2)] };
            yield return h with { Steps = steps[(steps.Length / 2)..] };
        }
        for (int i = 0; i < steps.Length; i++) yield return h with { Steps = steps.RemoveAt(i) };
    }

    public static Arbitrary<DtHistory> DtHistoryArb() => Arb.From(AnyHistory, Shrink);

    public static Arbitrary<DtTriple> DtTripleArb() =>
        Arb.From(
            from h in AnyHistory
            from a in Gen.Choose(0, int.MaxValue)
            from b in Gen.Choose(0, int.MaxValue)
            from c in Gen.Choose(0, int.MaxValue)
            select new DtTriple(h, a, b, c),
            t => Shrink(t.History).Select(h => t with { History = h }));
}
