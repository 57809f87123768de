using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Silo.Diagnostics;
using OrleansDynamo.Silo.Replicas;

namespace OrleansDynamo.Silo.Coordination;

public sealed partial class RequestCoordinator
{
    /// <summary>
    /// An operation on a typed bucket's key (issue 19): the coordinator applies it to its own replica's state under its
    /// dot actor, stores the new state, and sends that state to the other replicas, which merge it; the answer comes
    /// after W acknowledgements, as a put's does. The client sends operations, never values.
    /// </summary>
    public async Task<UpdateOutcome> UpdateAsync(UpdateCommand command, CancellationToken ct)
    {
        long start = time.GetTimestamp();
        try
        {
            var outcome = await CoordinateUpdateAsync(command, ct);
            if (outcome.Coordinator == self) Observe("update", RequestSide.Coordinator, start, null, 0, -1);
            return outcome;
        }
        catch (Exception e)
        {
            Observe("update", RequestSide.Coordinator, start, ErrorKindOf(e), 0, -1);
            throw;
        }
    }

    private async Task<UpdateOutcome> CoordinateUpdateAsync(UpdateCommand command, CancellationToken ct)
    {
        var state = membership.State;
        var (bucket, key) = Resolve(state, command.Bucket, command.Key);
        var kind = TypeOf(bucket, command.Operation is null ? "delete" : "update");
        int w = CheckQuorum("W", command.W, bucket.W, bucket.N);
        int pw = CheckQuorum("PW", command.PW, bucket.PW, bucket.N, allowZero: true);
        DataTypeOperation? operation = null;
        if (command.Operation is { } bytes)
        {
            try
            {
                operation = DataTypeOperationCodec.Decode(bytes);
            }
            catch (VersionFormatException e)
            {
                throw Invalid($"the operation does not decode: {e.Message}");
            }
            if (operation.Kind != kind)
                throw Invalid($"bucket '{bucket.Name}' holds {DataTypeNames.Of(kind)}s; a {DataTypeNames.Of(operation.Kind)} operation ({operation}) does not apply to them");
            if (operation.Items > DataTypeLimits.MaxItemsPerOperation)
                throw Invalid($"the operation carries {operation.Items} elements and field operations; the limit is {DataTypeLimits.MaxItemsPerOperation}");
        }
        if (command.Context is { Length: > Protocol.Limits.RequestSize.MaxContextChars } longContext)
            throw Invalid($"context is {longContext.Length} characters; the limit is {Protocol.Limits.RequestSize.MaxContextChars}");
        CausalContext? observed;
        try
        {
            observed = DataTypeCodec.DecodeContext(command.Context);
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
            // Forwarded once already and still not a replica here (views differ): coordinate as a stand-in, on this
            // silo's own replica of the key (a silo that dropped its copy moved to a new dot epoch then).
        }
        counters.Add(CounterNames.Puts);

        using var deadline = new CancellationTokenSource(settings.RequestTimeout, time);
        using var callerGaveUp = ct.CanBeCanceled ? ct.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), deadline) : default;
        CoordinatedUpdate local;
        try
        {
            local = await grains.Get(plan.Partition).CoordinateUpdateAsync(key, kind, operation, observed, deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw LocalWriteTimeout();
        }
        catch (DataTypeOperationException e)
        {
            throw Invalid($"bucket '{bucket.Name}' key '{key.Key}': {e.Message}");
        }
        catch (VersionCounterOverflowException e)
        {
            throw Invalid($"no new update can be made: {e.Message}");
        }
        catch (VersionFormatException e)
        {
            throw new DynamoException(DynamoErrorKind.Internal, $"the stored value of bucket '{bucket.Name}' key '{key.Key}' is not a {DataTypeNames.Of(kind)}: {e.Message}");
        }

        int acks = await ReplicateAsync(plan, selfIndex, bucket, w, pw, key, local.Stored, local.Persisted, deadline, ct);
        return new UpdateOutcome(DataTypeCodec.Encode(local.State), acks, self);
    }

    /// <summary>A typed bucket's key read with a read quorum: the merge of the replies' states (read repair follows), never siblings.</summary>
    public async Task<FetchOutcome> FetchAsync(FetchCommand command, CancellationToken ct)
    {
        long start = time.GetTimestamp();
        try
        {
            var state = membership.State;
            var (bucket, key) = Resolve(state, command.Bucket, command.Key);
            var kind = TypeOf(bucket, "fetch");
            int r = CheckQuorum("R", command.R, bucket.R, bucket.N);
            int pr = CheckQuorum("PR", command.PR, bucket.PR, bucket.N, allowZero: true);
            var plan = Plan(state, key, bucket.N);
            if (plan.IndexOf(self) < 0 && command.Hops == 0) return await ForwardAsync(plan, command with { Hops = 1 }, ct);
            var (result, replies, _) = await ReadQuorumAsync(bucket, key, plan, r, pr, ct);
            var value = TypedValue.Unwrap(result.Merged, kind);
            Observe("fetch", RequestSide.Coordinator, start, null, 0, -1);
            return new FetchOutcome(TypedValue.HasValue(value), DataTypeCodec.Encode(value), replies, self);
        }
        catch (Exception e)
        {
            Observe("fetch", RequestSide.Coordinator, start, ErrorKindOf(e), 0, -1);
            throw;
        }
    }

    /// <summary>The data type of a typed bucket; refuses <paramref name="what"/> on a key-value bucket.</summary>
    private DataTypeKind TypeOf(BucketSettings bucket, string what)
    {
        if (bucket.DataType is { } kind) return kind;
        counters.Add(CounterNames.InvalidRequests);
        throw new DynamoException(DynamoErrorKind.FailedPrecondition,
            $"bucket '{bucket.Name}' is a key-value bucket (type kv): a data type {what} does not apply; use get, put and delete, or create a bucket with --type counter|set|map");
    }

    /// <summary>Refuses a key-value <paramref name="what"/> on a typed bucket.</summary>
    private void RefuseTyped(BucketSettings bucket, string what)
    {
        if (bucket.DataType is not { } kind) return;
        counters.Add(CounterNames.InvalidRequests);
        string name = DataTypeNames.Of(kind);
        throw new DynamoException(DynamoErrorKind.FailedPrecondition,
            $"bucket '{bucket.Name}' holds {name}s (type {name}): a key-value {what} does not apply; use the {name} operations (dynamo {name} ...)");
    }
}
