using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;

namespace OrleansDynamo.Silo.Coordination;

public sealed partial class RequestCoordinator
{
    /// <summary>
    /// A put or delete: the coordinator makes the new version in its own replica, sends it to the other
    /// N−1 replicas while its own write commits, and answers after W acknowledgements, its own included
    /// (counted once durable; a put never succeeds without it).
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
        RefuseTyped(bucket, command.Delete ? "delete" : "put");
        int w = CheckQuorum("W", command.W, bucket.W, bucket.N);
        int pw = CheckQuorum("PW", command.PW, bucket.PW, bucket.N, allowZero: true);
        if (command.Delete && command.Value.Length != 0) throw Invalid("a delete carries no value");
        if (command.ContentType is { } contentType)
        {
            if (command.Delete) throw Invalid("a delete carries no content type");
            if (ContentTypes.Check(contentType) is { } badType) throw Invalid(badType);
        }
        if (command.Value.Length > bucket.MaxValueBytes)
            throw Invalid($"value is {command.Value.Length} bytes; bucket '{bucket.Name}' allows at most {bucket.MaxValueBytes} bytes");
        if (command.Value.Length > settings.MaxValueBytes)
            throw Invalid($"value is {command.Value.Length} bytes; silo {self} accepts at most {settings.MaxValueBytes} bytes ({Limits.LimitsOptions.Section}:MaxValueBytes)");
        if (command.Context is { Length: > Protocol.Limits.RequestSize.MaxContextChars } longContext)
            throw Invalid($"context is {longContext.Length} characters; the limit is {Protocol.Limits.RequestSize.MaxContextChars}");
        VectorClock context;
        try
        {
            context = VersionCodec.DecodeContext(command.Context);
        }
        catch (VersionFormatException e)
        {
            throw Invalid($"context does not decode: {e.Message}");
        }

        var plan = Plan(state, key, bucket.N);
        int selfIndex = plan.IndexOf(self);
        if (selfIndex < 0)
        {
            if (command.Hops == 0) return await ForwardAsync(plan, command with { Hops = 1 }, ct);
            // Forwarded once already and still not a replica here (views differ): coordinate as a stand-in.
        }
        counters.Add(command.Delete ? CounterNames.Deletes : CounterNames.Puts);

        // The deadline runs on the silo's clock (a real-time CancelAfter would escape the simulation);
        // the caller's cancellation ends it early.
        using var deadline = new CancellationTokenSource(settings.RequestTimeout, time);
        using var callerGaveUp = ct.CanBeCanceled ? ct.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline) : default;
        CoordinatedWrite local;
        try
        {
            local = await grains.Get(plan.Partition).CoordinateWriteAsync(key, context, command.Value, command.Delete, command.ContentType, bucket.Policy,
                deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw LocalWriteTimeout();
        }
        catch (VersionCounterOverflowException e)
        {
            // Only a context made up with this silo's counters at the maximum in several epochs in a row gets here; nothing was written.
            throw Invalid($"no new version can be made: {e.Message}");
        }

        int acks = await ReplicateAsync(plan, selfIndex, bucket, w, pw, key, local.Stored, local.Persisted, deadline, ct);
        return new PutOutcome(local.Stored.Context, acks, self, local.NewDot);
    }

    /// <summary>
    /// The rest of a coordinated write once the coordinator made the set (its dot is taken; its local write may still be
    /// committing): the other replicas get it now, the local write counts as an ack once durable, and the answer comes
    /// after W acknowledgements (and PW primaries). Returns the acknowledgements.
    /// </summary>
    private async Task<int> ReplicateAsync(ReplicaPlan plan, int selfIndex, Core.Buckets.BucketSettings bucket, int w, int pw, DynamoKey key, SiblingSet written,
        Task persisted, CancellationTokenSource deadline, CancellationToken ct)
    {
        IReadOnlyList<string> replicas = plan.Silos;
        if (selfIndex < 0) replicas = [.. plan.Silos, self];
        var round = new PutRound(new PutCore(bucket.N, Math.Min(w, replicas.Count), replicas, Math.Min(pw, plan.Primaries.Count), plan.Primaries));
        string? hintFor = selfIndex >= 0 ? plan.Targets[selfIndex].HintFor : null;
        bool localFirst = persisted.IsCompletedSuccessfully && hintFor is null;
        if (localFirst) round.OnLocal(self, null);
        foreach (var target in plan.Targets)
        {
            if (target.Silo == self) continue;
            _ = SendWriteAsync(target, plan.Partition, key, written, bucket.Policy, round);
        }
        if (!localFirst) _ = AckLocalAsync(persisted, hintFor, plan.Partition, key, written, round);
        using (deadline.Token.UnsafeRegister(static s => ((PutRound)s!).OnTimeout(), round))
        {
            await round.Task;
        }

        lock (round)
        {
            if (round.LocalError is { } error)
            {
                if (error is OperationCanceledException && !ct.IsCancellationRequested) throw LocalWriteTimeout();
                ExceptionDispatchInfo.Throw(error);
            }
            if (round.LocalDone && round.Core.Decision == QuorumDecision.Succeeded) return round.Core.Acks;
            ct.ThrowIfCancellationRequested();
            if (round.TimedOut && !round.LocalDone) throw LocalWriteTimeout();
            counters.Add(CounterNames.QuorumFailures);
            throw DynamoException.Unavailable(round.Core.FailureReason ?? "write quorum not reached");
        }
    }

    private DynamoException LocalWriteTimeout() =>
        new(DynamoErrorKind.Timeout, $"the coordinator's local write on {self} did not finish within {settings.RequestTimeout.TotalMilliseconds:0} ms");

    /// <summary>
    /// Counts the coordinator's own replica once its write is durable and, as a stand-in, its hint kept. The
    /// hint is kept even when the put has already failed or timed out: the version is stored here either way.
    /// </summary>
    private async Task AckLocalAsync(Task persisted, string? hintFor, int partition, DynamoKey key, SiblingSet set, PutRound round)
    {
        try
        {
            await persisted;
            if (hintFor is not null) await StoreHintAsync(hintFor, partition, key, set, CancellationToken.None);
            round.OnLocal(self, null);
        }
        catch (Exception e)
        {
            round.OnLocal(self, e);
        }
    }

    private async Task SendWriteAsync(ReplicaTarget target, int partition, DynamoKey key, SiblingSet set, ConflictPolicy policy, PutRound round)
    {
        string? failure = null;
        try
        {
            await transport.SendAsync(target.Silo, new ReplicaWrite(partition, key, set, policy, target.HintFor, self, AckOnly: true), settings.ReplicaTimeout, CancellationToken.None);
            detector.ReportSuccess(target.Silo);
        }
        catch (Exception e)
        {
            failure = Describe(e);
            if (e is DynamoException { Kind: DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout }) detector.ReportFailure(target.Silo);
            log.LogDebug("Replica write of {Key} to {Silo} failed: {Reason}", key, target.Silo, failure);
        }
        if (failure is null) round.OnAck(target.Silo);
        else round.OnFailure(target.Silo, failure);
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
            return new ReplicaWriteResult(request.AckOnly ? null : stored);
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
