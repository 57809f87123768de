using Google.Protobuf;
using OrleansDynamo.Client.Routing;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Protocol.DataTypes;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using WireSibling = OrleansDynamo.Protocol.Grpc.Sibling;

namespace OrleansDynamo.Client;

/// <summary>Gets and fetches coordinated by the client itself (<see cref="CoordinationMode.ClientReads"/>, Dynamo §6.4).</summary>
public sealed partial class DynamoClient
{
    private static readonly Method<ReadReplicaRequest, ReadReplicaResponse> s_readReplica = static (a, r, c) => a.ReadReplica(r, c);

    /// <summary>
    /// A get coordinated here: asks each of the key's N primaries (by the cached ring) for its own replica, each over
    /// that silo's gateway connection, and answers once R have (and PR, when set), with their versions merged as a
    /// coordinator merges them (<see cref="GetCore"/>). One round trip instead of two. When the replicas that answered
    /// disagree, a plain get is sent in the background once all have answered: the silo that coordinates it reads the
    /// replicas again and repairs the stale ones. Null when the client cannot decide the get alone (an unknown or typed
    /// bucket, an R or PR the silos would refuse, too few replicas answering, a ring that moved): the caller then sends a
    /// plain get, whose answer or error stands.
    /// </summary>
    private async Task<GetResponse?> TryReadReplicasAsync(RoutingState state, ClusterRing ring, string bucket, string key, GetOptions? options,
        CancellationToken cancellationToken)
    {
        if (ring.FindBucket(bucket) is not { DataType: null } settings
            || await ReadReplicasAsync(state, ring, settings, key, options, cancellationToken).ConfigureAwait(false) is not { } read)
        {
            return null;
        }
        var response = new GetResponse
        {
            Found = read.Result.Found,
            Context = VersionCodec.EncodeContext(read.Result.Context),
            ReplicasAnswered = (uint)read.Replies,
            FastestReplica = read.Fastest,
        };
        foreach (var s in read.Result.Siblings)
        {
            response.Siblings.Add(new WireSibling
            {
                Value = UnsafeByteOperations.UnsafeWrap(s.Value), TimestampMs = s.TimestampMs, ContentType = s.ContentType ?? "",
            });
        }
        return response;
    }

    /// <summary>
    /// A typed bucket's fetch coordinated here, as <see cref="TryReadReplicasAsync"/> does a get: the replicas' states
    /// merged by the bucket's type. Null when the client cannot decide it alone.
    /// </summary>
    private async Task<FetchResponse?> TryFetchReplicasAsync(RoutingState state, ClusterRing ring, string bucket, string key, GetOptions? options,
        CancellationToken cancellationToken)
    {
        if (ring.FindBucket(bucket) is not { DataType: { } kind } settings
            || await ReadReplicasAsync(state, ring, settings, key, options, cancellationToken).ConfigureAwait(false) is not { } read)
        {
            return null;
        }
        var value = TypedValue.Unwrap(read.Result.Merged, kind);
        return new FetchResponse
        {
            Found = TypedValue.HasValue(value),
            Value = DataTypeWire.ToWire(value),
            Context = DataTypeCodec.EncodeContext(value.Context),
            ReplicasAnswered = (uint)read.Replies,
        };
    }

    /// <summary>The merged answers of R replicas (and PR primaries) of a key, or null when too few answered.</summary>
    private async Task<ClientRead?> ReadReplicasAsync(RoutingState state, ClusterRing ring, Core.Buckets.BucketSettings settings, string key,
        GetOptions? options, CancellationToken cancellationToken)
    {
        string bucket = settings.Name;
        int n = settings.N;
        int r = options?.R is { } requestedR ? (int)Math.Min(requestedR, int.MaxValue) : settings.R;
        int pr = options?.PR is { } requestedPR ? (int)Math.Min(requestedPR, int.MaxValue) : settings.PR;
        if (r < 1 || r > n || pr < 0 || pr > n) return null;

        var replicas = ring.PreferenceIndices(ring.PartitionOf(bucket, key), n).ToArray();
        var names = new string[replicas.Length];
        for (int i = 0; i < replicas.Length; i++) names[i] = ring.Silos[replicas[i]].Name;
        // Every replica asked is a primary; the set is needed only to count them against PR.
        var round = new ClientReadRound(new GetCore(n, Math.Min(r, names.Length), names, settings.Policy, Math.Min(pr, names.Length),
            pr > 0 ? new HashSet<string>(names, StringComparer.Ordinal) : null));
        var request = new ReadReplicaRequest { Bucket = bucket, Key = key };
        long now = _time.GetTimestamp();
        for (int i = 0; i < replicas.Length; i++)
        {
            var endpoint = state.Endpoints[replicas[i]];
            if (endpoint.IsDown(now) || !ring.Silos[replicas[i]].IsReachable) round.OnFailure(names[i], "marked down", timedOut: false);
            else _ = ReadOneReplicaAsync(endpoint, names[i], request, round, bucket, key, settings.DataType is not null, cancellationToken);
        }

        var decided = await round.Decided.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (decided.Refusal is { } refusal) throw refusal;
        if (decided.Read is { } read) return read;
        // Too few replicas answered. After a timeout the caller's deadline is spent: say so rather than start again.
        if (decided.TimedOut) throw new DynamoException(DynamoErrorKind.Timeout, $"read quorum not reached in time: {decided.Reason}");
        RequestRefresh();
        return null;
    }

    private async Task ReadOneReplicaAsync(SiloEndpoint endpoint, string silo, ReadReplicaRequest request, ClientReadRound round,
        string bucket, string key, bool typed, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await CallAsync(endpoint, s_readReplica, request, cancellationToken).ConfigureAwait(false);
            endpoint.MarkUp();
            round.OnReply(silo, reply.Versions.IsEmpty ? null : VersionCodec.DecodeSiblingSet(reply.Versions.Span));
        }
        catch (Exception e)
        {
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                round.OnFailure(silo, "the caller cancelled", timedOut: false);
                return;
            }
            var failure = CallErrors.Classify(e, endpoint.Address);
            if (failure.MarkDown) MarkDown(endpoint);
            if (failure.Action == FailureAction.MarkDownAndRetry) endpoint.Disconnect();
            if (CallErrors.IsRefusal(failure.Error)) round.Refuse(failure.Error);
            else round.OnFailure(silo, failure.Error.Message, timedOut: failure.Error.Kind == DynamoErrorKind.Timeout);
        }
        if (round.TakeRepairNeed()) _ = RepairThroughSiloAsync(bucket, key, typed);
    }

    /// <summary>
    /// The replicas disagreed: a plain get (a fetch for a typed bucket), whose coordinator reads them all and repairs the
    /// stale ones.
    /// </summary>
    private async Task RepairThroughSiloAsync(string bucket, string key, bool typed)
    {
        try
        {
            var state = _state ?? _seedState;
            Route(state, bucket, key, out int partition, out int n, out int start);
            if (typed) await SendAsync(state, partition, n, start, s_fetch, new FetchRequest { Bucket = bucket, Key = key }, _disposing.Token).ConfigureAwait(false);
            else await SendAsync(state, partition, n, start, s_get, new GetRequest { Bucket = bucket, Key = key }, _disposing.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Read repair is best effort; anti-entropy finds what it misses.
        }
    }

    /// <summary>The merge of the replicas that answered a client-coordinated read, how many did, and which was first.</summary>
    private sealed record ClientRead(Core.Coordination.GetResult Result, int Replies, string Fastest);

    /// <summary>What a client-coordinated read came to: an answer, a refusal to throw, or a failed quorum.</summary>
    private readonly record struct ClientReadDecision(ClientRead? Read, DynamoException? Refusal, bool TimedOut, string? Reason);

    /// <summary>One client-coordinated read: the replies as they come, under one lock.</summary>
    private sealed class ClientReadRound(GetCore core)
    {
        private readonly TaskCompletionSource<ClientReadDecision> _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _fastest;
        private bool _timedOut;
        private bool _repairTaken;

        public Task<ClientReadDecision> Decided => _decided.Task;

        public void OnReply(string silo, SiblingSet? versions)
        {
            lock (this)
            {
                _fastest ??= silo;
                core.OnReply(silo, versions);
                Decide();
            }
        }

        public void OnFailure(string silo, string reason, bool timedOut)
        {
            lock (this)
            {
                _timedOut |= timedOut;
                core.OnFailure(silo, reason);
                Decide();
            }
        }

        public void Refuse(DynamoException refusal) => _decided.TrySetResult(new ClientReadDecision(null, refusal, false, null));

        /// <summary>True once, when every replica has answered or failed and the ones that answered disagree.</summary>
        public bool TakeRepairNeed()
        {
            lock (this)
            {
                if (_repairTaken || !core.IsComplete || core.Decision != QuorumDecision.Succeeded) return false;
                _repairTaken = true;
                return core.RepairPlan().Repairs.Length > 0;
            }
        }

        private void Decide()
        {
            if (_decided.Task.IsCompleted) return;
            if (core.Decision == QuorumDecision.Failed)
            {
                _decided.TrySetResult(new ClientReadDecision(null, null, _timedOut, core.FailureReason));
            }
            else if (core.Decision == QuorumDecision.Succeeded)
            {
                _decided.TrySetResult(new ClientReadDecision(new ClientRead(core.Result, core.Replies, _fastest ?? ""), null, false, null));
            }
        }
    }
}
