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

    private readonly RecentP99 _readLatency = new();
    private int _clientReadsInFlight;
    private int _readTurn;

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

    /// <summary>
    /// The merged answers of R replicas (and PR primaries) of a key, or null when too few answered. Asks every replica
    /// while few reads are in flight here; otherwise R of them in turn, the next one when one fails, and the rest when
    /// none has decided the read after the speculation delay.
    /// </summary>
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
        var core = new GetCore(n, Math.Min(r, names.Length), names, settings.Policy, Math.Min(pr, names.Length),
            pr > 0 ? new HashSet<string>(names, StringComparer.Ordinal) : null);
        var round = new ClientReadRound(this, core, new ReadReplicaRequest { Bucket = bucket, Key = key }, settings.DataType is not null, cancellationToken);
        long started = _time.GetTimestamp();
        // The replicas that can be asked, starting at a turn that moves with every read so that asking R spreads evenly;
        // a silo still joining last (it reads through to the partition's old owners, one hop more).
        var usable = new List<ReplicaTarget>(replicas.Length);
        List<ReplicaTarget>? joining = null;
        int turn = (int)((uint)Interlocked.Increment(ref _readTurn) % (uint)replicas.Length);
        for (int j = 0; j < replicas.Length; j++)
        {
            int i = (turn + j) % replicas.Length;
            var endpoint = state.Endpoints[replicas[i]];
            var silo = ring.Silos[replicas[i]];
            if (endpoint.IsDown(started) || !silo.IsReachable) round.OnFailure(names[i], "marked down", timedOut: false);
            else if (silo.IsJoining) (joining ??= []).Add(new ReplicaTarget(endpoint, names[i]));
            else usable.Add(new ReplicaTarget(endpoint, names[i]));
        }
        if (joining is not null) usable.AddRange(joining);

        int inFlight = Interlocked.Increment(ref _clientReadsInFlight);
        try
        {
            var speculateAfter = inFlight < _allReplicaReadsBelow ? null : _readSpeculationDelay ?? _readLatency.P99;
            round.Ask(usable, first: speculateAfter is null ? usable.Count : Math.Max(r, pr));
            var decidedTask = round.Decided;
            if (speculateAfter is { } delay && delay != Timeout.InfiniteTimeSpan && !decidedTask.IsCompleted && round.HasUnasked)
            {
                try
                {
                    await decidedTask.WaitAsync(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    round.AskRest();
                }
            }
            var decided = await decidedTask.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (decided.Refusal is { } refusal) throw refusal;
            if (decided.Read is { } read)
            {
                _readLatency.Record(_time.GetElapsedTime(started));
                return read;
            }
            // Too few replicas answered. After a timeout the caller's deadline is spent: say so rather than start again.
            if (decided.TimedOut) throw new DynamoException(DynamoErrorKind.Timeout, $"read quorum not reached in time: {decided.Reason}");
            RequestRefresh();
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref _clientReadsInFlight);
        }
    }

    private async Task ReadOneReplicaAsync(ReplicaTarget target, ClientReadRound round)
    {
        var endpoint = target.Endpoint;
        try
        {
            var reply = await CallAsync(endpoint, s_readReplica, round.Request, round.CancellationToken).ConfigureAwait(false);
            endpoint.MarkUp();
            round.OnReply(target.Silo, reply.Versions.IsEmpty ? null : VersionCodec.DecodeSiblingSet(reply.Versions.Span));
        }
        catch (Exception e)
        {
            if (e is OperationCanceledException && round.CancellationToken.IsCancellationRequested)
            {
                round.OnFailure(target.Silo, "the caller cancelled", timedOut: false);
                return;
            }
            var failure = CallErrors.Classify(e, endpoint.Address);
            if (failure.MarkDown) MarkDown(endpoint, failure);
            if (CallErrors.IsRefusal(failure.Error)) round.Refuse(failure.Error);
            else round.OnFailure(target.Silo, failure.Error.Message, timedOut: failure.Error.Kind == DynamoErrorKind.Timeout);
        }
        if (round.TakeRepairNeed()) _ = RepairThroughSiloAsync(round.Request.Bucket, round.Request.Key, round.Typed);
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

    /// <summary>A replica a client-coordinated read can ask: its silo's endpoint and name.</summary>
    private readonly record struct ReplicaTarget(SiloEndpoint Endpoint, string Silo);

    /// <summary>
    /// One client-coordinated read: which replicas it asked and has yet to ask, and their replies as they come, under one
    /// lock. A replica that fails is replaced by the next one not yet asked, while the read is undecided.
    /// </summary>
    private sealed class ClientReadRound(DynamoClient client, GetCore core, ReadReplicaRequest request, bool typed, CancellationToken cancellationToken)
    {
        private readonly TaskCompletionSource<ClientReadDecision> _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private List<ReplicaTarget> _targets = [];
        private int _asked;
        private int _pending;
        private string? _fastest;
        private bool _timedOut;
        private bool _repairTaken;

        public ReadReplicaRequest Request => request;

        public bool Typed => typed;

        public CancellationToken CancellationToken => cancellationToken;

        public Task<ClientReadDecision> Decided => _decided.Task;

        public bool HasUnasked
        {
            get { lock (this) return _asked < _targets.Count; }
        }

        /// <summary>Asks the first <paramref name="first"/> of <paramref name="targets"/>; the rest wait their turn.</summary>
        public void Ask(List<ReplicaTarget> targets, int first)
        {
            lock (this)
            {
                _targets = targets;
                if (targets.Count == 0) Decide();
            }
            AskMore(first);
        }

        /// <summary>Asks every replica not yet asked, unless the read is decided.</summary>
        public void AskRest() => AskMore(int.MaxValue);

        public void OnReply(string silo, SiblingSet? versions)
        {
            lock (this)
            {
                _pending--;
                _fastest ??= silo;
                core.OnReply(silo, versions);
                Decide();
            }
        }

        public void OnFailure(string silo, string reason, bool timedOut)
        {
            bool replace;
            lock (this)
            {
                // A replica skipped before it was asked is not pending.
                replace = _targets.Exists(t => t.Silo == silo);
                if (replace) _pending--;
                _timedOut |= timedOut;
                core.OnFailure(silo, reason);
                Decide();
            }
            if (replace) AskMore(1);
        }

        public void Refuse(DynamoException refusal)
        {
            lock (this) _pending--;
            _decided.TrySetResult(new ClientReadDecision(null, refusal, false, null));
        }

        /// <summary>
        /// True once, when the read succeeded, every replica asked has answered or failed, and the ones that answered
        /// disagree. Replicas never asked are left to anti-entropy.
        /// </summary>
        public bool TakeRepairNeed()
        {
            lock (this)
            {
                if (_repairTaken || _pending > 0 || core.Decision != QuorumDecision.Succeeded) return false;
                _repairTaken = true;
                return core.RepairPlan().Repairs.Length > 0;
            }
        }

        private void AskMore(int count)
        {
            int from, to;
            lock (this)
            {
                if (_decided.Task.IsCompleted) return;
                from = _asked;
                to = (int)Math.Min((long)from + count, _targets.Count);
                _asked = to;
                _pending += to - from;
            }
            for (int i = from; i < to; i++) _ = client.ReadOneReplicaAsync(_targets[i], this);
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
