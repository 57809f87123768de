using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Simulation.Checkers;
using OrleansDynamo.Simulation.Nemesis;
using OrleansDynamo.Simulation.Workload;
using OrleansDynamo.Simulation.World;

namespace OrleansDynamo.Simulation;

/// <summary>
/// One seed, start to end, synchronously on the calling thread: form the cluster, run clients and
/// the nemesis, heal everything, let the cluster settle, force a full read of every key, check.
/// </summary>
public static class SimulationRun
{
    /// <summary>Runs one seed on a dedicated thread (a busy pool thread would look like a pending hop to the scheduler).</summary>
    public static SimulationResult Execute(int seed, SimulationOptions? options = null)
    {
        if (!Thread.CurrentThread.IsThreadPoolThread) return ExecuteHere(seed, options);
        SimulationResult? result = null;
        var thread = new Thread(() => result = ExecuteHere(seed, options), 16 * 1024 * 1024) { Name = $"simulation seed {seed}" };
        thread.Start();
        thread.Join();
        return result!;
    }

    private static SimulationResult ExecuteHere(int seed, SimulationOptions? options)
    {
        options ??= new SimulationOptions();
        var cluster = new SimulatedCluster(seed, options);
        var violations = new List<Violation>();
        var scheduler = cluster.Scheduler;
        int silos = options.Silos ?? 3 + cluster.Random.Next(3);
        var keys = Enumerable.Range(0, options.Keys).Select(i => "k" + i).ToList();
        var workload = new ClientWorkload(cluster, keys, options.Clients);
        var typed = options.Typed ? new TypedWorkload(cluster, keys, options.Clients) : null;
        var nemesis = new ClusterNemesis(cluster, options.MembershipChanges, options.ClockSteps) { DuplicateMessages = typed is null };
        string summary = "";
        try
        {
            var addresses = Enumerable.Range(0, silos).Select(SimulatedCluster.AddressOf).ToList();
            for (int i = 0; i < silos; i++) cluster.AddSilo(addresses.Where((_, j) => j != i).ToList());
            foreach (var s in cluster.Silos) cluster.Start(s);
            if (!scheduler.RunUntil(() => cluster.MembershipConverged(), cluster.Time.GetUtcNow() + TimeSpan.FromSeconds(30)))
                violations.Add(new Violation("formation", null, "the cluster did not form within 30 s"));

            if (typed is not null) DefineTypedBuckets(cluster, violations);
            var loadEnd = cluster.Time.GetUtcNow() + options.LoadDuration;
            workload.Start(loadEnd);
            typed?.Start(loadEnd);
            if (options.Nemesis) nemesis.Start(loadEnd);
            scheduler.RunUntil(() => false, loadEnd);
            nemesis.Stop();
            if (!scheduler.RunUntil(() => workload.Finished && (typed?.Finished ?? true), cluster.Time.GetUtcNow() + TimeSpan.FromSeconds(30)))
                violations.Add(new Violation("liveness", null, "clients still waiting 30 s after the load ended"));

            cluster.HealAll();
            scheduler.RunFor(TimeSpan.FromSeconds(10));
            if (!scheduler.RunUntil(() => cluster.MembershipConverged(), cluster.Time.GetUtcNow() + TimeSpan.FromSeconds(60)))
                violations.Add(new Violation("membership", null, "membership did not converge after healing: " + cluster.MembershipView()));
            else
            {
                // Read every key at R=N through each of its primaries: read repair brings the replicas together.
                for (int round = 0; round < 2; round++)
                {
                    ForceReadAll(cluster, workload, keys);
                    if (typed is not null) ForceFetchAll(cluster, typed, keys);
                    scheduler.RunFor(TimeSpan.FromSeconds(5));
                }
                bool hintsFeature = cluster.Up.First().Runtime!.Features.Any(f => f.GetType().Name.Contains("Hint", StringComparison.Ordinal));
                bool requireHints = options.RequireHintsDrained ?? hintsFeature;
                var state = FinalState.Read(cluster, workload.History, keys, primariesOnly: requireHints);
                violations.AddRange(InvariantCheckers.CheckAll(state, requireHints));
                if (typed is not null) violations.AddRange(TypedChecker.Check(cluster, typed, keys));
            }
            int ops = workload.History.Count;
            int acked = workload.History.Count(o => o.Outcome == OperationOutcome.Ok);
            summary = $"{silos} silos, Q={cluster.PartitionCount}, {cluster.Durability}, {ops} ops ({acked} ok), {nemesis.Actions} faults, " +
                      $"{cluster.Network.Sent} messages, {scheduler.Steps} steps, {cluster.Time.Elapsed.TotalSeconds:0} s simulated";
        }
        catch (Exception e)
        {
            violations.Add(new Violation("harness", null, e.ToString()));
        }
        cluster.Release();
        foreach (var fault in scheduler.Faults.Take(5)) violations.Add(new Violation("unhandled", null, fault.ToString()));
        foreach (var escape in scheduler.Escapes.Take(3)) violations.Add(new Violation("determinism", null, "work escaped the simulation thread: " + escape));
        foreach (var v in violations) cluster.Trace.Note("violation " + v);
        return new SimulationResult
        {
            Seed = seed,
            Violations = violations,
            TraceHash = cluster.Trace.Hash,
            Trace = cluster.Trace.Recent,
            Faults = cluster.Trace.Faults,
            Summary = summary,
            Diagnostics = $"{scheduler.Hops} pool hops, {scheduler.QuiescenceTimeouts} quiescence timeouts",
        };
    }

    /// <summary>Defines the typed workload's buckets through the first silo and waits until every silo knows them.</summary>
    private static void DefineTypedBuckets(SimulatedCluster cluster, List<Violation> violations)
    {
        var first = cluster.Up.First();
        cluster.Scheduler.Spawn(cluster.Scheduler.CreateContext("admin"), async () =>
        {
            await cluster.CallAsync(first, async rt =>
            {
                await rt.Membership.DefineBucketAsync(new BucketSettings(TypedWorkload.CounterBucket, Policy: ConflictPolicy.Counter), CancellationToken.None);
                return await rt.Membership.DefineBucketAsync(new BucketSettings(TypedWorkload.SetBucket, Policy: ConflictPolicy.Set), CancellationToken.None);
            }, TimeSpan.FromSeconds(10));
        });
        if (!cluster.Scheduler.RunUntil(() => cluster.Up.All(s => s.Runtime!.Membership.State.Buckets.ContainsKey(TypedWorkload.SetBucket)),
                cluster.Time.GetUtcNow() + TimeSpan.FromSeconds(30)))
            violations.Add(new Violation("formation", null, "the typed buckets did not reach every silo within 30 s"));
    }

    /// <summary>Fetches every typed key at R=3 through each of its primaries: read repair brings the replicas together.</summary>
    private static void ForceFetchAll(SimulatedCluster cluster, TypedWorkload typed, IReadOnlyList<string> keys)
    {
        var ring = cluster.Up.First().Runtime!.Membership.State.Ring!;
        var checker = cluster.Scheduler.CreateContext("typed-checker");
        int pending = 0;
        foreach (var key in keys)
        {
            foreach (var bucket in new[] { TypedWorkload.CounterBucket, TypedWorkload.SetBucket })
            {
                foreach (var primary in ring.PreferenceListFor(new Core.Keys.DynamoKey(bucket, key), 3).Primaries)
                {
                    pending++;
                    cluster.Scheduler.Spawn(checker, async () =>
                    {
                        try
                        {
                            if (bucket == TypedWorkload.CounterBucket) await typed.FetchCounterAsync(cluster.Silo(primary), key);
                            else await typed.FetchAsync(cluster.Silo(primary), key, 3);
                        }
                        finally
                        {
                            pending--;
                        }
                    });
                }
            }
        }
        cluster.Scheduler.RunUntil(() => pending == 0, cluster.Time.GetUtcNow() + TimeSpan.FromSeconds(10));
    }

    private static void ForceReadAll(SimulatedCluster cluster, ClientWorkload workload, IReadOnlyList<string> keys)
    {
        var ring = cluster.Up.First().Runtime!.Membership.State.Ring!;
        var checker = cluster.Scheduler.CreateContext("checker");
        int pending = 0;
        foreach (var key in keys)
        {
            foreach (var primary in ring.PreferenceListFor(new Core.Keys.DynamoKey(ClientWorkload.Bucket, key), 3).Primaries)
            {
                pending++;
                cluster.Scheduler.Spawn(checker, async () =>
                {
                    try
                    {
                        await workload.ExecuteAsync(-1, cluster.Silo(primary), key, OperationKind.Get, Core.Versioning.VectorClock.Empty, r: 3);
                    }
                    finally
                    {
                        pending--;
                    }
                });
            }
        }
        cluster.Scheduler.RunUntil(() => pending == 0, cluster.Time.GetUtcNow() + TimeSpan.FromSeconds(10));
    }
}
