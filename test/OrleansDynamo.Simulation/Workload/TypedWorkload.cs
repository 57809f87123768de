using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation.Workload;

/// <summary>
/// Simulated clients on typed buckets (issue 19): counter increments, set adds of unique elements, set fetches, and
/// removes of elements a fetch showed, sent with that fetch's context. Every operation and its outcome is recorded
/// for <see cref="Checkers.TypedChecker"/>.
/// </summary>
public sealed class TypedWorkload(SimulatedCluster cluster, IReadOnlyList<string> keys, int clients) : SimulatedClients(cluster, clients, "typed-client")
{
    public const string CounterBucket = "likes";
    public const string SetBucket = "carts";

    public sealed record Increment(string Key, long Amount, bool Ok);

    public sealed record Add(string Key, string Element, bool Ok);

    public sealed record Remove(string Key, string Element, bool Ok);

    public List<Increment> Increments { get; } = [];

    public List<Add> Adds { get; } = [];

    public List<Remove> Removes { get; } = [];

    private TimeSpan ClientTimeout => TimeSpan.FromMilliseconds(Cluster.RequestTimeoutMs * 2 + Cluster.ReplicaTimeoutMs * 2);

    protected override async Task RunClientAsync(int client, DateTimeOffset until)
    {
        var random = Cluster.Random;
        var seen = new Dictionary<string, (string[] Members, string Context)>(StringComparer.Ordinal);
        int made = 0;
        while (Cluster.Time.GetUtcNow() < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1 + random.Next(40)), Cluster.Time);
            var candidates = Cluster.Silos.Where(s => !s.Retired).ToList();
            var silo = candidates[random.Next(candidates.Count)];
            string key = keys[random.Next(keys.Count)];
            int roll = random.Next(100);
            if (roll < 50)
            {
                long amount = 1 + random.Next(5);
                bool ok = await TryAsync(silo, new UpdateCommand(CounterBucket, key, DataTypeOperationCodec.Encode(new CounterIncrement(amount)), null));
                Increments.Add(new Increment(key, amount, ok));
            }
            else if (roll < 75)
            {
                string element = $"c{client}e{made++}";
                bool ok = await TryAsync(silo, new UpdateCommand(SetBucket, key, DataTypeOperationCodec.Encode(new SetAdd([element])), null));
                Adds.Add(new Add(key, element, ok));
            }
            else if (roll < 90 || !seen.TryGetValue(key, out var last) || last.Members.Length == 0)
            {
                if (await FetchAsync(silo, key, 0) is { } read) seen[key] = read;
            }
            else
            {
                string element = last.Members[random.Next(last.Members.Length)];
                bool ok = await TryAsync(silo, new UpdateCommand(SetBucket, key, DataTypeOperationCodec.Encode(new SetRemove([element])), last.Context));
                Removes.Add(new Remove(key, element, ok));
            }
        }
    }

    private async Task<bool> TryAsync(SimSilo silo, UpdateCommand command)
    {
        try
        {
            await Cluster.CallAsync(silo, rt => rt.Coordinator.UpdateAsync(command, CancellationToken.None), ClientTimeout);
            Cluster.Trace.Note($"typed {command.Bucket} {command.Key} {DataTypeOperationCodec.Decode(command.Operation)} via {silo.Name} ok");
            return true;
        }
        catch (Exception e)
        {
            Cluster.Trace.Note($"typed {command.Bucket} {command.Key} {DataTypeOperationCodec.Decode(command.Operation)} via {silo.Name} failed: {e.Message}");
            return false;
        }
    }

    /// <summary>A set's members and context read through <paramref name="silo"/> with read quorum <paramref name="r"/> (0: the bucket's); null when it failed.</summary>
    public async Task<(string[] Members, string Context)?> FetchAsync(SimSilo silo, string key, int r)
    {
        try
        {
            var outcome = await Cluster.CallAsync(silo, rt => rt.Coordinator.FetchAsync(new FetchCommand(SetBucket, key, R: r), CancellationToken.None), ClientTimeout);
            var state = (OrSet)DataTypeCodec.Decode(outcome.State);
            return ([.. state.Elements], DataTypeCodec.EncodeContext(state.Context));
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Reads a counter through <paramref name="silo"/> at R=3 (read repair follows).</summary>
    public async Task FetchCounterAsync(SimSilo silo, string key)
    {
        try
        {
            await Cluster.CallAsync(silo, rt => rt.Coordinator.FetchAsync(new FetchCommand(CounterBucket, key, R: 3), CancellationToken.None), ClientTimeout);
        }
        catch (Exception)
        {
        }
    }
}
