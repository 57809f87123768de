using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Coordination;

public sealed partial class RequestCoordinator
{
    /// <summary>
    /// A put or delete: the coordinator makes the new version in its own replica, sends it to the other
    /// N−1 replicas in parallel and answers after W acknowledgements (its own included).
    /// </summary>
    public async Task<PutOutcome> PutAsync(PutCommand command, CancellationToken ct)
    {
        long start = time.GetTimestamp();
        try
        {
            var outcome = await CoordinatePutAsync(command, ct);
            if (outcome.Coordinator == self) Observe(command.Delete ? "delete" : "put", RequestSide.Coordinator, start, null, 0, -1);
            return outcome;
        }
        catch (Exception e)
        {
            Observe(command.Delete ? "delete" : "put", RequestSide.Coordinator, start, ErrorKindOf(e), 0, -1);
            throw;
        }
    }

    private async Task<PutOutcome> CoordinatePutAsync(PutCommand command, CancellationToken ct)
    {
        var state = membership.State;
        var (bucket, key) = Resolve(state, command.Bucket, command.Key);
        int w = CheckQuorum("W", command.W, bucket.W, bucket.N);
        int pw = CheckQuorum("PW", command.PW, bucket.PW, bucket.N, allowZero: true);
        if (command.Delete && command.Value.Length != 0) throw Invalid("a delete carries no value");
        if (command.Value.Length > bucket.MaxValueBytes)
            throw Invalid($"value is {command.Value.Length} bytes; bucket '{bucket.Name}' allows at most {bucket.MaxValueBytes} bytes");
        VectorClock context;
        try
        {
            context = VersionCodec.DecodeContext(command.Context);
        }
        catch (VersionFormatException e)
        {
            throw Invalid($"context does not decode: {e.Message}");
        }

        var (plan, _) = Plan(state, key, bucket.N);
        int selfIndex = plan.IndexOf(self);
        if (selfIndex < 0)
        {
            if (command.Hops == 0) return await ForwardAsync(plan, command with { Hops = 1 }, ct);
            // Forwarded once already and still not a replica here (views differ): coordinate as a stand-in.
        }
        counters.Add(command.Delete ? CounterNames.Deletes : CounterNames.Puts);

        // The deadline runs on the silo's clock (a real-time CancelAfter would escape the simulation).
        using var timeout = new CancellationTokenSource(settings.RequestTimeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        SiblingSet written;
        Dot newDot;
        try
        {
            (written, newDot) = await grains.Get(plan.Partition)
                .CoordinateWriteAsync(key, context, command.Value, command.Delete, bucket.Policy, deadline.Token);
            if (selfIndex >= 0 && plan.Targets[selfIndex].HintFor is { } intended)
                await StoreHintAsync(intended, plan.Partition, key, written, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DynamoException(DynamoErrorKind.Timeout, $"the coordinator's local write on {self} did not finish within {settings.RequestTimeout.TotalMilliseconds:0} ms");
        }

        var replicas = new List<string>(plan.Targets.Length);
        foreach (var t in plan.Targets) replicas.Add(t.Silo);
        if (selfIndex < 0) replicas.Add(self);
        var core = new PutCore(bucket.N, Math.Min(w, replicas.Count), replicas, Math.Min(pw, plan.Primaries.Count), plan.Primaries);
        var decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (core)
        {
            core.OnAck(self);
            if (core.Decision != QuorumDecision.Pending) decided.TrySetResult();
        }
        foreach (var target in plan.Targets)
        {
            if (target.Silo == self) continue;
            _ = SendWriteAsync(target, plan.Partition, key, written, bucket.Policy, core, decided);
        }
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
        lock (core)
        {
            if (core.Decision == QuorumDecision.Succeeded) return new PutOutcome(written.Context, core.Acks, self, newDot);
            counters.Add(CounterNames.QuorumFailures);
            throw DynamoException.Unavailable(core.FailureReason ?? "write quorum not reached");
        }
    }

    private async Task SendWriteAsync(ReplicaTarget target, int partition, DynamoKey key, SiblingSet set, ConflictPolicy policy, PutCore core, TaskCompletionSource decided)
    {
        string? failure = null;
        try
        {
            await transport.SendAsync(target.Silo, new ReplicaWrite(partition, key, set, policy, target.HintFor, self), settings.ReplicaTimeout, CancellationToken.None);
            detector.ReportSuccess(target.Silo);
        }
        catch (Exception e)
        {
            failure = Describe(e);
            if (e is DynamoException { Kind: DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout }) detector.ReportFailure(target.Silo);
            log.LogDebug("Replica write of {Key} to {Silo} failed: {Reason}", key, target.Silo, failure);
        }
        lock (core)
        {
            if (failure is null) core.OnAck(target.Silo);
            else core.OnFailure(target.Silo, failure);
            if (core.Decision != QuorumDecision.Pending) decided.TrySetResult();
        }
        // No stand-in took it (or the stand-in failed too): the coordinator keeps the hint for the intended silo.
        if (failure is not null && (target.HintFor ?? target.Silo) is var intended && intended != self)
        {
            try
            {
                await StoreHintAsync(intended, partition, key, set, CancellationToken.None);
            }
            catch (Exception e)
            {
                log.LogWarning("Could not keep a hint of {Key} for {Silo}: {Reason}", key, intended, Describe(e));
            }
        }
    }

    /// <summary>The replica side of a write: merge into the local store, and keep a hint when standing in.</summary>
    public async Task<ReplicaWriteResult> HandleReplicaWriteAsync(ReplicaWrite request, CancellationToken ct)
    {
        long start = time.GetTimestamp();
        DynamoErrorKind? error = null;
        try
        {
            var stored = await grains.Get(request.Partition).MergeAsync(request.Key, request.Siblings, request.Policy, ct);
            if (request.HintFor is { } intended && intended != self)
                await StoreHintAsync(intended, request.Partition, request.Key, stored, ct);
            return new ReplicaWriteResult(stored);
        }
        catch (Exception e)
        {
            error = ErrorKindOf(e);
            throw;
        }
        finally
        {
            Observe("put", RequestSide.Replica, start, error, 0, request.Partition);
        }
    }

    public async Task<ReplicaReadResult> HandleReplicaReadAsync(ReplicaRead request, CancellationToken ct)
    {
        long start = time.GetTimestamp();
        DynamoErrorKind? error = null;
        try
        {
            return new(await ReadLocalAsync(request.Partition, request.Key, ct));
        }
        catch (Exception e)
        {
            error = ErrorKindOf(e);
            throw;
        }
        finally
        {
            Observe("get", RequestSide.Replica, start, error, 0, request.Partition);
        }
    }
}
