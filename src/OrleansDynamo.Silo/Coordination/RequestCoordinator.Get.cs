using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Coordination;

public sealed partial class RequestCoordinator
{
    /// <summary>
    /// A get: asks the key's N replicas, answers after R replies with every causally unrelated version
    /// and one merged context; then repairs stale replicas in the background (Dynamo §5, read repair).
    /// </summary>
    public async Task<GetOutcome> GetAsync(GetCommand command, CancellationToken ct)
    {
        long start = time.GetTimestamp();
        try
        {
            var outcome = await CoordinateGetAsync(command, ct);
            if (outcome.Coordinator == self) Observe("get", RequestSide.Coordinator, start, null, outcome.Found ? outcome.Siblings.Length : 0, -1);
            return outcome;
        }
        catch (Exception e)
        {
            Observe("get", RequestSide.Coordinator, start, ErrorKindOf(e), 0, -1);
            throw;
        }
    }

    private async Task<GetOutcome> CoordinateGetAsync(GetCommand command, CancellationToken ct)
    {
        var state = membership.State;
        var (bucket, key) = Resolve(state, command.Bucket, command.Key);
        int r = CheckQuorum("R", command.R, bucket.R, bucket.N);
        int pr = CheckQuorum("PR", command.PR, bucket.PR, bucket.N, allowZero: true);
        var (plan, _) = Plan(state, key, bucket.N);
        if (plan.IndexOf(self) < 0 && command.Hops == 0) return await ForwardAsync(plan, command with { Hops = 1 }, ct);
        counters.Add(CounterNames.Gets);

        var replicas = new List<string>(plan.Targets.Length);
        foreach (var t in plan.Targets) replicas.Add(t.Silo);
        var core = new GetCore(bucket.N, Math.Min(r, replicas.Count), replicas, bucket.Policy, Math.Min(pr, plan.Primaries.Count), plan.Primaries);
        var decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = new Task[plan.Targets.Length];
        var fastest = new StrongBox<string?>();
        for (int i = 0; i < reads.Length; i++) reads[i] = ReadOneAsync(plan.Targets[i].Silo, plan.Partition, key, core, decided, fastest);

        using (var deadline = new CancellationTokenSource(settings.RequestTimeout, time))
        await using (deadline.Token.Register(() =>
        {
            lock (core)
            {
                core.OnTimeout();
                decided.TrySetResult();
            }
        }))
        {
            await decided.Task.WaitAsync(ct);
        }

        GetResult result;
        string? fastestReplica;
        lock (core)
        {
            fastestReplica = fastest.Value;
            if (core.Decision != QuorumDecision.Succeeded)
            {
                counters.Add(CounterNames.QuorumFailures);
                throw DynamoException.Unavailable(core.FailureReason ?? "read quorum not reached");
            }
            result = core.Result;
        }
        _ = RepairAfterAsync(reads, core, plan.Partition, key, bucket.Policy);
        return new GetOutcome(result.Found, result.Siblings, result.Context, core.Replies, self, fastestReplica);
    }

    private async Task ReadOneAsync(string silo, int partition, DynamoKey key, GetCore core, TaskCompletionSource decided, StrongBox<string?> fastest)
    {
        SiblingSet? value = null;
        string? failure = null;
        try
        {
            if (silo == self) value = await ReadLocalAsync(partition, key, CancellationToken.None);
            else
            {
                value = (await transport.SendAsync(silo, new ReplicaRead(partition, key, self), settings.ReplicaTimeout, CancellationToken.None)).Siblings;
                detector.ReportSuccess(silo);
            }
        }
        catch (Exception e)
        {
            failure = Describe(e);
            if (e is DynamoException { Kind: DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout }) detector.ReportFailure(silo);
        }
        lock (core)
        {
            if (failure is null)
            {
                core.OnReply(silo, value);
                fastest.Value ??= silo;
            }
            else core.OnFailure(silo, failure);
            if (core.Decision != QuorumDecision.Pending) decided.TrySetResult();
        }
    }

    /// <summary>After every replica answered or failed, sends the reconciled set to those that were stale.</summary>
    private async Task RepairAfterAsync(Task[] reads, GetCore core, int partition, DynamoKey key, ConflictPolicy policy)
    {
        try
        {
            await Task.WhenAll(reads);
            ReadRepairPlan plan;
            lock (core) plan = core.RepairPlan();
            foreach (var repair in plan.Repairs)
            {
                counters.Add(CounterNames.ReadRepairs);
                if (repair.Replica == self) await grains.Get(partition).MergeAsync(key, repair.ToSend, policy, CancellationToken.None);
                else await transport.SendAsync(repair.Replica, new ReplicaWrite(partition, key, repair.ToSend, policy, null, self), settings.ReplicaTimeout, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            log.LogDebug("Read repair of {Key} failed: {Reason}", key, Describe(e));
        }
    }
}
