using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.DataTypes;

/// <summary>
/// Runs a <see cref="DtHistory"/> against real data type states, one per replica, each replica applying operations
/// under its own actor (as a silo's coordinator does), and keeps beside them the <see cref="EventModel"/>: every
/// replica's causal history of events. Records every state made (for the lattice laws) and every operation's delta.
/// </summary>
public sealed class DataTypeWorld
{
    /// <summary>The replicas' actors, named as silos name their dot actors (silo name, '~', dot epoch).</summary>
    public static readonly string[] Actors = ["silo0~1", "silo1~1", "silo2~3", "silo3~1"];

    private readonly DtHistory _history;
    private readonly bool _removesIgnoreClientContext;
    private readonly DataTypeState[] _replicas;
    private readonly HashSet<int>[] _histories;
    private readonly (CausalContext Context, HashSet<Dot> Observed)?[] _reads;

    public EventModel Model { get; } = new();

    public IReadOnlyList<DataTypeState> Replicas => _replicas;

    /// <summary>Every state made during the run (by an operation or a merge), the empty one first.</summary>
    public List<DataTypeState> Snapshots { get; } = [];

    /// <summary>The state each operation made, in order.</summary>
    public List<DataTypeState> OperationStates { get; } = [];

    /// <summary>Each operation's delta, in order.</summary>
    public List<DataTypeState> Deltas { get; } = [];

    /// <summary>The sum of every increment applied anywhere (counters).</summary>
    public Int128 IncrementsApplied { get; private set; }

    private DataTypeWorld(DtHistory history, bool removesIgnoreClientContext)
    {
        _history = history;
        _removesIgnoreClientContext = removesIgnoreClientContext;
        var empty = DataTypeState.EmptyOf(history.Kind);
        _replicas = Enumerable.Repeat(empty, history.Replicas).ToArray();
        _histories = Enumerable.Range(0, history.Replicas).Select(_ => new HashSet<int>()).ToArray();
        _reads = new (CausalContext, HashSet<Dot>)?[history.Clients];
        Snapshots.Add(empty);
    }

    /// <summary>
    /// Runs <paramref name="history"/>, calling <paramref name="afterStep"/> after each step. With
    /// <paramref name="removesIgnoreClientContext"/> (a planted bug) the coordinator removes what it has seen instead of
    /// what the client observed, while the model still follows the client.
    /// </summary>
    public static DataTypeWorld Run(DtHistory history, Action<DataTypeWorld, DtStep>? afterStep = null, bool removesIgnoreClientContext = false)
    {
        var world = new DataTypeWorld(history, removesIgnoreClientContext);
        foreach (var step in history.Steps)
        {
            world.Apply(step);
            afterStep?.Invoke(world, step);
        }
        return world;
    }

    private void Apply(DtStep step)
    {
        switch (step)
        {
            case DtOp op:
            {
                var read = op.Blind ? null : _reads[op.Client];
                string actor = Actors[op.Replica];
                var before = _replicas[op.Replica];
                var update = before.Apply(op.Operation, actor, _removesIgnoreClientContext ? null : read?.Context);
                Model.Apply(_histories[op.Replica], actor, op.Operation, read?.Observed);
                Assert.True(before.Merge(update.Delta).Equals(update.State), $"{op}: the state before merged with the delta is not the state after\n before {before}\n delta  {update.Delta}\n after  {update.State}");
                _replicas[op.Replica] = update.State;
                Snapshots.Add(update.State);
                OperationStates.Add(update.State);
                Deltas.Add(update.Delta);
                if (op.Operation is CounterIncrement inc) IncrementsApplied += inc.Amount;
                break;
            }
            case DtRead read:
                // The client gets the context as opaque bytes, and sends those back.
                var context = DataTypeCodec.DecodeContextBytes(DataTypeCodec.EncodeContextBytes(_replicas[read.Replica].Context));
                _reads[read.Client] = (context, Model.Seen(_histories[read.Replica]));
                break;
            case DtSync sync:
                var incoming = sync.ViaCodec ? DataTypeCodec.Decode(DataTypeCodec.Encode(_replicas[sync.From])) : _replicas[sync.From];
                _replicas[sync.To] = _replicas[sync.To].Merge(incoming);
                _histories[sync.To].UnionWith(_histories[sync.From]);
                Snapshots.Add(_replicas[sync.To]);
                break;
            default:
                throw new InvalidOperationException($"unknown step {step}");
        }
    }

    /// <summary>All events ever made: the history every replica has once all have exchanged states.</summary>
    public HashSet<int> AllEvents => Model.Events.Select(e => e.Id).ToHashSet();

    /// <summary>
    /// Checks <paramref name="state"/> against the model for history <paramref name="history"/>: the same value, exactly
    /// the standing updates' dots in its store, a compact context (no cloud: states travel whole here; one vector entry
    /// per actor at most), and a codec round trip to the same state and bytes.
    /// </summary>
    public void Check(DataTypeState state, IReadOnlySet<int> history, string when)
    {
        if (state is PnCounter counter)
        {
            Assert.True(Model.CounterValue(history) == counter.Value, $"{when}: counter is {counter.Value}, the increments in its history sum to {Model.CounterValue(history)}\n {counter}");
        }
        else
        {
            var expected = Model.Value(history);
            var actual = Projection.Of(state);
            Assert.True(expected.SequenceEqual(actual),
                $"{when}: value {Show(actual)}, the model says {Show(expected)}\n state {state}\n history {_history}");
            var standing = Model.Standing(history).Select(u => u.Dot).ToHashSet();
            var held = Projection.StoreDots(state).ToList();
            Assert.True(held.Count == standing.Count && standing.SetEquals(held),
                $"{when}: store dots [{string.Join(",", held)}], standing updates [{string.Join(",", standing)}]\n state {state}");
            Assert.True(state.Context.Cloud.IsEmpty, $"{when}: context {state.Context} has a dot cloud though states travel whole");
            Assert.True(state.Context.Vector.Length <= _history.Replicas, $"{when}: context {state.Context} has more entries than actors");
        }
        var bytes = DataTypeCodec.Encode(state);
        var decoded = DataTypeCodec.Decode(bytes);
        Assert.True(decoded.Equals(state), $"{when}: {state} decodes as {decoded}");
        Assert.Equal(bytes, DataTypeCodec.Encode(decoded));
    }

    public void CheckReplica(int replica, string when) => Check(_replicas[replica], _histories[replica], $"{when}, replica {replica}");

    /// <summary>Every replica merges every other's state, in the order given, twice round: all then hold everything.</summary>
    public DataTypeState[] ExchangeAll(int[] order)
    {
        var states = (DataTypeState[])_replicas.Clone();
        for (int round = 0; round < 2; round++)
        {
            foreach (int to in order)
            {
                foreach (int from in order) states[to] = states[to].Merge(states[from]);
            }
        }
        return states;
    }

    private static string Show(SortedDictionary<string, string> value) => "{" + string.Join("; ", value.Select(kv => $"{kv.Key}={kv.Value}")) + "}";
}
