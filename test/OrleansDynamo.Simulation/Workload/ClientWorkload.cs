using System.Text;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation.Workload;

/// <summary>
/// Simulated clients hammering a few keys through random silos: gets, puts with the context of
/// their last read, blind puts, deletes. Every operation is recorded for the checkers.
/// </summary>
public sealed class ClientWorkload(SimulatedCluster cluster, IReadOnlyList<string> keys, int clients) : SimulatedClients(cluster, clients, "client")
{
    public const string Bucket = "default";

    private readonly List<OperationRecord> _history = [];

    public IReadOnlyList<OperationRecord> History => _history;

    public IReadOnlyList<string> Keys => keys;

    public TimeSpan ClientTimeout => TimeSpan.FromMilliseconds(Cluster.RequestTimeoutMs * 2 + Cluster.ReplicaTimeoutMs * 2);

    protected override async Task RunClientAsync(int client, DateTimeOffset until)
    {
        var random = Cluster.Random;
        var lastRead = new Dictionary<string, VectorClock>(StringComparer.Ordinal);
        while (Cluster.Time.GetUtcNow() < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1 + random.Next(40)), Cluster.Time);
            var candidates = Cluster.Silos.Where(s => !s.Retired).ToList();
            var silo = candidates[random.Next(candidates.Count)];
            string key = keys[random.Next(keys.Count)];
            int roll = random.Next(100);
            var kind = roll switch
            {
                < 40 => OperationKind.Get,
                < 70 => OperationKind.Put,
                < 85 => OperationKind.BlindPut,
                _ => OperationKind.Delete,
            };
            if (kind is OperationKind.Put or OperationKind.Delete && !lastRead.ContainsKey(key)) kind = OperationKind.Get;
            var record = await ExecuteAsync(client, silo, key, kind, kind == OperationKind.BlindPut ? VectorClock.Empty : lastRead.GetValueOrDefault(key, VectorClock.Empty));
            if (record.Kind == OperationKind.Get && record.Outcome == OperationOutcome.Ok) lastRead[key] = record.Input;
        }
    }

    /// <summary>Runs one operation through <paramref name="silo"/> and records it.</summary>
    public async Task<OperationRecord> ExecuteAsync(int client, SimSilo silo, string key, OperationKind kind, VectorClock context, int r = 0)
    {
        int id = _history.Count;
        var record = new OperationRecord
        {
            Id = id,
            Client = client,
            Kind = kind,
            Key = key,
            Silo = silo.Name,
            Value = kind is OperationKind.Put or OperationKind.BlindPut ? $"v{id}" : null,
            Input = context,
            StartTicks = Cluster.Time.GetTimestamp(),
        };
        _history.Add(record);
        try
        {
            if (kind == OperationKind.Get)
            {
                var outcome = await Cluster.CallAsync(silo, rt => rt.Coordinator.GetAsync(new GetCommand(Bucket, key, R: r), CancellationToken.None), ClientTimeout);
                record.ReadValues = outcome.Siblings.Select(s => s.Tombstone ? "(del)" : Encoding.UTF8.GetString(s.Value)).ToList();
                record.Input = outcome.Context;
                record.Outcome = OperationOutcome.Ok;
                record.EndTicks = Cluster.Time.GetTimestamp();
            }
            else
            {
                var command = new PutCommand(Bucket, key, kind == OperationKind.Delete ? [] : Encoding.UTF8.GetBytes(record.Value!),
                    context.IsEmpty ? null : VersionCodec.EncodeContext(context), Delete: kind == OperationKind.Delete);
                var outcome = await Cluster.CallAsync(silo, rt => rt.Coordinator.PutAsync(command, CancellationToken.None), ClientTimeout);
                record.Dot = outcome.NewDot ?? new Dot(outcome.Coordinator, outcome.Context.CounterOf(outcome.Coordinator));
                record.Outcome = OperationOutcome.Ok;
                record.EndTicks = Cluster.Time.GetTimestamp();
            }
        }
        catch (Exception e)
        {
            record.Outcome = OperationOutcome.Failed;
            record.Error = e is DynamoException d ? $"{d.Kind}: {d.Message}" : $"{e.GetType().Name}: {e.Message}";
            record.EndTicks = Cluster.Time.GetTimestamp();
        }
        Cluster.Trace.Note(record.ToString());
        return record;
    }
}
