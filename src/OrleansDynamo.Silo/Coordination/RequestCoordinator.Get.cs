using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Coordination;

public sealed partial class RequestCoordinator
{
    private readonly RecentP99 _getLatency = new();
    private int _getsInFlight;
    private int _getTurn;

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
        RefuseTyped(bucket, "get");
        int r = CheckQuorum("R", command.R, bucket.R, bucket.N);
        int pr = CheckQuorum("PR", command.PR, bucket.PR, bucket.N, allowZero: true);
        var plan = Plan(state, key, bucket.N);
        if (plan.IndexOf(self) < 0 && command.Hops == 0) return await ForwardAsync(plan, command with { Hops = 1 }, ct);
        var (result, replies, fastest) = await ReadQuorumAsync(bucket, key, plan, r, pr, ct);
        return new GetOutcome(result.Found, result.Siblings, result.Context, replies, self, fastest);
    }

    /// <summary>
    /// This silo's own replica of a key, for a client that coordinates its get or its typed bucket's fetch (Dynamo §6.4):
    /// the key checked at the edge as a get's is, refused unless this silo is one of the key's N primaries in its ring
    /// (the client's ring is stale otherwise), read as a coordinator's replica read is (read-through while the partition
    /// is still arriving). Null when the replica holds nothing for the key.
    /// </summary>
    public async Task<SiblingSet?> ReadReplicaForClientAsync(string? bucketName, string key, CancellationToken ct)
    {
        var state = membership.State;
        var (bucket, dynamoKey) = Resolve(state, bucketName, key);
        var plan = Plan(state, dynamoKey, bucket.N);
        if (!plan.Primaries.Contains(self))
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                $"{self} is not one of the {bucket.N} replicas of this key in ring version {state.Ring!.Version}; the client's ring is stale");
        counters.Add(CounterNames.ClientReplicaReads);
        return (await HandleReplicaReadAsync(new ReplicaRead(plan.Partition, dynamoKey, self), ct)).Siblings;
    }

    /// <summary>
    /// Asks the key's replicas and waits for R replies (and PR primaries); read repair follows in the background. While
    /// few gets are in flight here (<see cref="CoordinatorSettings.AllReplicaReadsBelow"/>) or this silo is moving
    /// partitions it asks every replica and takes the first R; otherwise, with every primary reachable, it asks R of them (itself first, the others in turn),
    /// the next when one fails, and the rest once the speculation delay passes undecided.
    /// </summary>
    private async Task<(GetResult Result, int Replies, string? Fastest)> ReadQuorumAsync(Core.Buckets.BucketSettings bucket, DynamoKey key, ReplicaPlan plan, int r, int pr,
        CancellationToken ct)
    {
        counters.Add(CounterNames.Gets);
        long start = time.GetTimestamp();
        var core = new GetCore(bucket.N, Math.Min(r, plan.Silos.Count), plan.Silos, bucket.Policy, Math.Min(pr, plan.Primaries.Count), plan.Primaries);
        int inFlight = Interlocked.Increment(ref _getsInFlight);
        try
        {
            int first = Math.Max(core.R, core.PR);
            TimeSpan? speculateAfter = null;
            ReplicaTarget[] targets;
            if (inFlight >= settings.AllReplicaReadsBelow && plan.IsAllPrimaries && first < plan.Targets.Length && CurrentMotion() is { Moving: false } motion
                && (settings.ReadSpeculationDelay ?? _getLatency.P99) is { } delay)
            {
                speculateAfter = delay;
                targets = InTurn(plan.Targets, motion.Joining);
            }
            else
            {
                targets = ImmutableCollectionsMarshal.AsArray(plan.Targets)!;
                first = targets.Length;
            }
            var round = new GetRound(core, targets);
            Ask(round, first, plan.Partition, key, bucket.Policy);

            using (var deadline = new CancellationTokenSource(settings.RequestTimeout, time))
            using (deadline.Token.UnsafeRegister(static s => ((GetRound)s!).OnTimeout(), round))
            using (ct.CanBeCanceled ? ct.UnsafeRegister(static s => ((GetRound)s!).Abandon(), round) : default)
            {
                if (speculateAfter is { } wait && wait != Timeout.InfiniteTimeSpan && !round.Task.IsCompleted && round.HasUnasked)
                {
                    try
                    {
                        await round.Task.WaitAsync(wait, time);
                    }
                    catch (TimeoutException)
                    {
                        Ask(round, int.MaxValue, plan.Partition, key, bucket.Policy);
                    }
                }
                await round.Task;
            }

            lock (round)
            {
                if (core.Decision == QuorumDecision.Succeeded)
                {
                    _getLatency.Record(time.GetElapsedTime(start));
                    return (core.Result, core.Replies, round.Fastest);
                }
                ct.ThrowIfCancellationRequested();
                counters.Add(CounterNames.QuorumFailures);
                throw DynamoException.Unavailable(core.FailureReason ?? "read quorum not reached");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _getsInFlight);
        }
    }

    /// <summary>
    /// The targets with this silo first (its read is local), the others from a turn that moves every get, and a silo
    /// still joining last: it reads through to the partition's old owners, one hop more, on paths not yet warm.
    /// </summary>
    private ReplicaTarget[] InTurn(ImmutableArray<ReplicaTarget> planned, IReadOnlySet<string> joining)
    {
        var ordered = new ReplicaTarget[planned.Length];
        int mine = -1;
        for (int i = 0; i < planned.Length && mine < 0; i++) if (planned[i].Silo == self) mine = i;
        int next = 0, last = planned.Length;
        if (mine >= 0)
        {
            if (joining.Contains(self)) ordered[--last] = planned[mine];
            else ordered[next++] = planned[mine];
        }
        int others = planned.Length - (mine >= 0 ? 1 : 0);
        int turn = (int)((uint)Interlocked.Increment(ref _getTurn) % (uint)Math.Max(others, 1));
        for (int j = 0; j < planned.Length; j++)
        {
            var target = planned[(j + turn + (mine >= 0 ? mine + 1 : 0)) % planned.Length];
            if (target.Silo == self) continue;
            if (joining.Contains(target.Silo)) ordered[--last] = target;
            else ordered[next++] = target;
        }
        return ordered;
    }

    private void Ask(GetRound round, int count, int partition, DynamoKey key, ConflictPolicy policy)
    {
        var (targets, from, to) = round.Claim(count);
        for (int i = from; i < to; i++) _ = ReadOneAsync(targets[i].Silo, partition, key, round, policy);
    }

    private async Task ReadOneAsync(string silo, int partition, DynamoKey key, GetRound round, ConflictPolicy policy)
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
        ReplicaTarget? next = null;
        bool last = failure is null ? round.OnReply(silo, value) : round.OnFailure(silo, failure, out next);
        if (next is { } replacement) _ = ReadOneAsync(replacement.Silo, partition, key, round, policy);
        // Every replica asked answered or failed: send the reconciled set to those that were stale.
        if (last && settings.ReadRepair) await RepairAsync(round, partition, key, policy);
    }

    private async Task RepairAsync(GetRound round, int partition, DynamoKey key, ConflictPolicy policy)
    {
        try
        {
            ReadRepairPlan plan;
            lock (round) plan = round.Core.RepairPlan();
            foreach (var repair in plan.Repairs)
            {
                counters.Add(CounterNames.ReadRepairs);
                if (repair.Replica == self) await grains.Get(partition).MergeAsync(key, repair.ToSend, policy, CancellationToken.None);
                else await transport.SendAsync(repair.Replica, new ReplicaWrite(partition, key, repair.ToSend, policy, null, self, AckOnly: true), settings.ReplicaTimeout, CancellationToken.None);
            }
        }
        catch (Exception e)
        {
            log.LogDebug("Read repair of {Key} failed: {Reason}", key, Describe(e));
        }
    }
}
