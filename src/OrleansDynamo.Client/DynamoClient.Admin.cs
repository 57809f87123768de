using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Limits;

namespace OrleansDynamo.Client;

/// <summary>Cluster administration: buckets, ring, status, membership, repair.</summary>
public sealed partial class DynamoClient
{
    /// <summary>
    /// Creates a bucket (or changes its settings) and returns it as the cluster stored it. Changing an existing bucket's
    /// N or policy needs <paramref name="force"/>: a new N moves the preference list of every key in it.
    /// </summary>
    /// <exception cref="DynamoException">The settings are invalid (the message names the field); the change needs
    /// <paramref name="force"/> (<see cref="DynamoErrorKind.FailedPrecondition"/>); the key is not an admin key.</exception>
    public Task<BucketSettings> CreateBucketAsync(BucketSettings settings, CancellationToken cancellationToken = default) =>
        CreateBucketAsync(settings, force: false, cancellationToken);

    /// <inheritdoc cref="CreateBucketAsync(BucketSettings, CancellationToken)"/>
    public async Task<BucketSettings> CreateBucketAsync(BucketSettings settings, bool force, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Validate() is { } bad) throw DynamoException.Invalid(bad);
        var request = new CreateBucketRequest { Bucket = WireMapping.ToWire(settings), Force = force };
        var (response, _) = await SendAnyAsync(s_createBucket, request, cancellationToken).ConfigureAwait(false);
        // The bucket's N decides its keys' preference lists: fetch the ring that lists it.
        if (_state is not null) TryRefreshInBackground();
        return WireMapping.ToBucket(response);
    }

    /// <summary>
    /// Fetches the ring: from any silo (and caches it) when <paramref name="endpoint"/> is null,
    /// else from that silo (as it sees the ring, not cached).
    /// </summary>
    public async Task<ClusterRing> GetRingAsync(string? endpoint = null, CancellationToken cancellationToken = default)
    {
        if (endpoint is null) return await RefreshRingAsync(cancellationToken).ConfigureAwait(false);
        var info = await SendToAsync(endpoint, s_grpcGetRing, new GetRingRequest(), cancellationToken).ConfigureAwait(false);
        try
        {
            return WireMapping.ToRing(info);
        }
        catch (ArgumentException e)
        {
            throw new DynamoException(DynamoErrorKind.Internal, $"{endpoint} sent a ring that does not fit together: {e.Message}", e) { Endpoint = endpoint };
        }
    }

    /// <summary>The status of one silo (<paramref name="endpoint"/>, or any when null) and the cluster as it sees it.</summary>
    public async Task<ClusterStatus> GetStatusAsync(string? endpoint = null, CancellationToken cancellationToken = default)
    {
        StatusResponse response = endpoint is null
            ? (await SendAnyAsync(s_getStatus, new StatusRequest(), cancellationToken).ConfigureAwait(false)).Response
            : await SendToAsync(endpoint, s_grpcGetStatus, new StatusRequest(), cancellationToken).ConfigureAwait(false);
        return WireMapping.ToStatus(response);
    }

    /// <summary>What every replica in the key's preference list holds, without reconciling (for debugging divergence).</summary>
    public async Task<ReplicaReport> GetReplicasAsync(string bucket, string key, CancellationToken cancellationToken = default)
    {
        bucket = CheckKey(bucket, key);
        var request = new GetReplicasRequest { Bucket = bucket, Key = key };
        var state = _state ?? await GetRoutedStateAsync(cancellationToken).ConfigureAwait(false);
        Route(state, bucket, key, out int partition, out int n, out int start);
        var (response, _) = await SendAsync(state, partition, n, start, s_getReplicas, request, cancellationToken).ConfigureAwait(false);
        return WireMapping.ToReport(response);
    }

    /// <summary>
    /// Asks the silo at <paramref name="newSiloAddress"/> to join the cluster that <paramref name="seed"/> belongs to.
    /// The request goes to the new silo; both addresses are gRPC addresses (http://host:port). The new silo keeps trying a
    /// seed it cannot reach for up to <see cref="JoinTimings.SeedPatience"/>, so the call waits up to
    /// <see cref="JoinTimings.CallTimeout"/> even when <see cref="DynamoClientOptions.RequestTimeout"/> is shorter.
    /// </summary>
    /// <returns>The silo's message.</returns>
    public async Task<string> JoinAsync(string seed, string newSiloAddress, CancellationToken cancellationToken = default)
    {
        if (DynamoClientOptions.CheckAddress(seed) is { } badSeed) throw DynamoException.Invalid($"seed: {badSeed}");
        if (DynamoClientOptions.CheckAddress(newSiloAddress) is { } badSilo) throw DynamoException.Invalid($"new silo: {badSilo}");
        var request = new JoinRequest { SiloAddress = newSiloAddress, SeedAddress = seed };
        // The new silo keeps trying its seed for a while (JoinTimings.SeedPatience): give it that, whatever the request timeout.
        var response = await SendToAsync(newSiloAddress, s_grpcJoin, request, cancellationToken, JoinTimings.CallTimeout).ConfigureAwait(false);
        if (_state is not null) TryRefreshInBackground();
        return response.Message;
    }

    /// <summary>Asks the cluster to let the silo named <paramref name="siloName"/> leave; its partitions move to the others first.</summary>
    /// <returns>The silo's message.</returns>
    public Task<string> LeaveAsync(string siloName, CancellationToken cancellationToken = default) =>
        LeaveAsync(siloName, null, cancellationToken);

    /// <summary>
    /// <see cref="LeaveAsync(string, CancellationToken)"/>, asked of the silo at <paramref name="endpoint"/> (any silo
    /// when null), as the CLI does.
    /// </summary>
    /// <returns>The silo's message.</returns>
    public async Task<string> LeaveAsync(string siloName, string? endpoint, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(siloName)) throw DynamoException.Invalid("silo name must not be empty");
        var request = new LeaveRequest { SiloName = siloName };
        var response = endpoint is null
            ? (await SendAnyAsync(s_leave, request, cancellationToken).ConfigureAwait(false)).Response
            : await SendToAsync(endpoint, s_grpcLeave, request, cancellationToken).ConfigureAwait(false);
        if (_state is not null) TryRefreshInBackground();
        return response.Message;
    }

    /// <summary>
    /// Runs the anti-entropy exchanges of <paramref name="partition"/> (every partition the silo holds when null) now,
    /// on <paramref name="endpoint"/> (any silo when null); the silo answers once they finish or its repair wait ends.
    /// </summary>
    /// <returns>The silo's summary as text.</returns>
    public async Task<string> RepairAsync(int? partition = null, string? endpoint = null, CancellationToken cancellationToken = default) =>
        (await SendRepairAsync(partition, endpoint, cancellationToken).ConfigureAwait(false)).Message;

    /// <summary>
    /// <see cref="RepairAsync"/>, answering every exchange that finished: what was compared with which peer, and what
    /// was repaired.
    /// </summary>
    public async Task<RepairResult> RepairWithResultAsync(int? partition = null, string? endpoint = null, CancellationToken cancellationToken = default) =>
        WireMapping.ToResult(await SendRepairAsync(partition, endpoint, cancellationToken).ConfigureAwait(false));

    private async Task<AdminResponse> SendRepairAsync(int? partition, string? endpoint, CancellationToken cancellationToken)
    {
        if (partition is < 0) throw DynamoException.Invalid($"partition must not be negative, got {partition}");
        var request = new RepairRequest { Partition = partition ?? -1 };
        return endpoint is null
            ? (await SendAnyAsync(s_repair, request, cancellationToken).ConfigureAwait(false)).Response
            : await SendToAsync(endpoint, s_grpcRepair, request, cancellationToken).ConfigureAwait(false);
    }
}
