using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Tests.Versioning;

/// <summary>One step of a simulated multi-replica history of a single key.</summary>
public abstract record HistoryOp;

/// <summary>
/// Client <paramref name="Client"/> puts (or deletes) through replica <paramref name="Replica"/> as coordinator.
/// <paramref name="Blind"/> sends no context; otherwise the client's last context. With
/// <paramref name="KeepReturnedContext"/> the client adopts the context the put returned.
/// </summary>
public sealed record PutOp(int Client, int Replica, bool Blind, bool Tombstone, bool KeepReturnedContext, long NowMs, int Padding) : HistoryOp
{
    public override string ToString() =>
        $"Put(c{Client}->r{Replica}{(Blind ? ",blind" : "")}{(Tombstone ? ",del" : "")}{(KeepReturnedContext ? ",keep" : "")},t={NowMs},pad={Padding})";
}

/// <summary>Client reads the context of replica <paramref name="Replica"/>.</summary>
public sealed record GetOp(int Client, int Replica) : HistoryOp
{
    public override string ToString() => $"Get(c{Client}<-r{Replica})";
}

/// <summary>Replica <paramref name="To"/> merges in replica <paramref name="From"/>'s set (replication, read repair, handoff).</summary>
public sealed record SyncOp(int From, int To) : HistoryOp
{
    public override string ToString() => $"Sync(r{From}->r{To})";
}

/// <summary>A random history: a few replicas, a few clients, and the steps they take.</summary>
public sealed record History(int Replicas, int Clients, ImmutableArray<HistoryOp> Ops)
{
    public override string ToString() => $"History(replicas={Replicas}, clients={Clients}: {string.Join(" ", Ops)})";
}

/// <summary>How clients use contexts.</summary>
public enum ClientMode
{
    /// <summary>Clients follow the ops literally: blind puts, stale contexts, reads from any replica.</summary>
    Free,

    /// <summary>
    /// Each client is one sequential writer with read-your-writes: every put sends the client's context and
    /// the client keeps the context the put returned; a get reads the replica the client last wrote through.
    /// </summary>
    Session,
}

/// <summary>An acknowledged put: the dot it got, the context the client sent, and what it wrote (its content type too).</summary>
public sealed record WriteRecord(int Id, int Client, Dot Dot, VectorClock ClientContext, byte[] Value, bool Tombstone, long NowMs, string? ContentType);

/// <summary>
/// Interprets a <see cref="History"/> against real <see cref="SiblingSet"/>s and keeps the model the
/// invariants are checked against: every acknowledged write and the context it was written with.
/// </summary>
public sealed class ReplicaWorld
{
    public static readonly ImmutableArray<string> ReplicaNames = ["a", "b", "c", "d"];

    private readonly ClientMode _mode;
    private readonly SiblingSet[] _replicas;
    private readonly VectorClock[] _clientContexts;
    private readonly int[] _sticky;
    private readonly List<WriteRecord> _writes = [];
    private readonly List<SiblingSet> _snapshots = [SiblingSet.Empty];
    private readonly Dictionary<Dot, WriteRecord> _byDot = [];

    private ReplicaWorld(History history, ClientMode mode)
    {
        _mode = mode;
        _replicas = Enumerable.Repeat(SiblingSet.Empty, history.Replicas).ToArray();
        _clientContexts = Enumerable.Repeat(VectorClock.Empty, history.Clients).ToArray();
        _sticky = Enumerable.Repeat(-1, history.Clients).ToArray();
    }

    public IReadOnlyList<SiblingSet> Replicas => _replicas;

    public IReadOnlyList<WriteRecord> Writes => _writes;

    /// <summary>Every replica state seen during the run (plus the empty set): all from one consistent history.</summary>
    public IReadOnlyList<SiblingSet> Snapshots => _snapshots;

    public WriteRecord WriteOf(Dot dot) => _byDot[dot];

    /// <summary>Runs <paramref name="history"/>, calling <paramref name="afterStep"/> after every step.</summary>
    public static ReplicaWorld Run(History history, ClientMode mode = ClientMode.Free, Action<ReplicaWorld, HistoryOp>? afterStep = null)
    {
        var world = new ReplicaWorld(history, mode);
        foreach (var op in history.Ops)
        {
            world.Apply(op);
            afterStep?.Invoke(world, op);
        }
        return world;
    }

    private void Apply(HistoryOp op)
    {
        switch (op)
        {
            case PutOp put:
                Put(put);
                break;
            case GetOp get:
                int from = _mode == ClientMode.Session ? _sticky[get.Client] : get.Replica;
                if (from >= 0) _clientContexts[get.Client] = _replicas[from].Context;
                break;
            case SyncOp sync:
                _replicas[sync.To] = _replicas[sync.To].Merge(_replicas[sync.From]);
                _snapshots.Add(_replicas[sync.To]);
                break;
            default:
                throw new InvalidOperationException($"unknown op {op}");
        }
    }

    private void Put(PutOp put)
    {
        bool blind = _mode == ClientMode.Free && put.Blind;
        var context = blind ? VectorClock.Empty : _clientContexts[put.Client];
        int id = _writes.Count;
        var value = MakeValue(id, put.Padding);
        string? contentType = ContentTypeOf(id, put.Tombstone);
        var before = _replicas[put.Replica];
        var after = before.Update(context, ReplicaNames[put.Replica], value, put.Tombstone, put.NowMs, contentType);
        var added = after.Siblings.Where(s => !before.Siblings.Contains(s)).ToList();
        if (added.Count != 1)
            throw new InvalidOperationException($"put {put} added {added.Count} siblings: {before} -> {after}");
        var record = new WriteRecord(id, put.Client, added[0].Dot, context, value, put.Tombstone, put.NowMs, contentType);
        if (!_byDot.TryAdd(record.Dot, record))
            throw new InvalidOperationException($"put {put} reused dot {record.Dot} of write {_byDot[record.Dot].Id}");
        _writes.Add(record);
        _replicas[put.Replica] = after;
        _snapshots.Add(after);
        if (_mode == ClientMode.Session || put.KeepReturnedContext)
        {
            _clientContexts[put.Client] = after.Context;
            _sticky[put.Client] = put.Replica;
        }
    }

    /// <summary>Content types the writes take in turn; null (none) for every fourth write and every delete.</summary>
    public static readonly ImmutableArray<string?> ContentTypes = [null, "application/json", "text/plain; charset=\"utf-8\"", "image/png"];

    /// <summary>The content type of write <paramref name="id"/>: a delete has none, so histories mix typed and untyped siblings.</summary>
    public static string? ContentTypeOf(int id, bool tombstone) => tombstone ? null : ContentTypes[id % ContentTypes.Length];

    /// <summary>Unique value bytes: the write id, then <paramref name="padding"/> filler bytes.</summary>
    public static byte[] MakeValue(int id, int padding)
    {
        var value = new byte[4 + padding];
        BitConverter.TryWriteBytes(value, id);
        for (int i = 4; i < value.Length; i++) value[i] = (byte)(id + i);
        return value;
    }

    /// <summary>Merges every replica's set, in the order given.</summary>
    public SiblingSet MergeAll(IEnumerable<int> order) =>
        order.Aggregate(SiblingSet.Empty, (acc, i) => acc.Merge(_replicas[i]));

    /// <summary>
    /// The model of what a set whose context is <paramref name="known"/> must hold: the writes it has seen
    /// that no seen write's client context covered (the maximal writes), ordered by dot.
    /// </summary>
    public IReadOnlyList<WriteRecord> ExpectedSiblings(VectorClock known)
    {
        var seen = _writes.Where(w => known.Covers(w.Dot)).ToList();
        return seen.Where(w => !seen.Any(w2 => w2.ClientContext.Covers(w.Dot)))
            .OrderBy(w => w.Dot.Node, StringComparer.Ordinal).ThenBy(w => w.Dot.Counter)
            .ToList();
    }

    /// <summary>Throws unless <paramref name="set"/> holds exactly the model's siblings for its context, with the written values.</summary>
    public void CheckAgainstModel(SiblingSet set, string where)
    {
        var expected = ExpectedSiblings(set.Context);
        var actualDots = set.Siblings.Select(s => s.Dot).ToList();
        var expectedDots = expected.Select(w => w.Dot).ToList();
        if (!actualDots.SequenceEqual(expectedDots))
            throw new InvalidOperationException(
                $"{where}: siblings {string.Join(",", actualDots)} but the model expects {string.Join(",", expectedDots)} (set {set})");
        foreach (var s in set.Siblings)
        {
            var w = _byDot[s.Dot];
            if (!s.Value.AsSpan().SequenceEqual(w.Value) || s.Tombstone != w.Tombstone || s.TimestampMs != w.NowMs || s.ContentType != w.ContentType)
                throw new InvalidOperationException($"{where}: sibling {s.Dot} does not hold what write {w.Id} wrote");
        }
    }
}
