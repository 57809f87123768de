using System.Collections.Immutable;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Diagnostics;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// What a silo offers its clients, in domain types: key-value requests go to the coordinator, admin requests to
/// the membership and the background services. The gRPC service (<see cref="DynamoGrpcService"/>) maps the wire
/// messages to and from these calls; the dashboard and the JSON endpoints call it directly. Failures are
/// <see cref="DynamoException"/>s (nothing is written on bad input). Stateless: any number may share one silo.
/// </summary>
public sealed class SiloApi(SiloRuntime silo)
{
    /// <summary>The silo this API answers for.</summary>
    public string SiloName => silo.Name;

    /// <summary>A get, coordinated here or forwarded once to a silo of the key's preference list.</summary>
    public Task<GetOutcome> GetAsync(GetCommand command, CancellationToken ct) => silo.Coordinator.GetAsync(command, ct);

    /// <summary>This silo's own replica of a key, for a client that coordinates its get; null when it holds none.</summary>
    public Task<Core.Versioning.SiblingSet?> ReadReplicaAsync(string? bucket, string key, CancellationToken ct) =>
        silo.Coordinator.ReadReplicaForClientAsync(bucket, key, ct);

    /// <summary>A put or delete (<see cref="PutCommand.Delete"/>), coordinated here or forwarded once.</summary>
    public Task<PutOutcome> PutAsync(PutCommand command, CancellationToken ct) => silo.Coordinator.PutAsync(command, ct);

    /// <summary>An operation on a typed bucket's key, coordinated here or forwarded once.</summary>
    public Task<UpdateOutcome> UpdateAsync(UpdateCommand command, CancellationToken ct) => silo.Coordinator.UpdateAsync(command, ct);

    /// <summary>A typed bucket's key: the merged state of a read quorum.</summary>
    public Task<FetchOutcome> FetchAsync(FetchCommand command, CancellationToken ct) => silo.Coordinator.FetchAsync(command, ct);

    /// <summary>The ring as this silo sees it: active members, the owner of each partition, the buckets.</summary>
    public RingSummary Ring()
    {
        var state = silo.Membership.State;
        var counts = state.Ring?.PartitionCounts() ?? new Dictionary<string, int>();
        var members = ImmutableArray.CreateBuilder<MemberSummary>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var m in state.Active)
        {
            index[m.Name] = members.Count;
            members.Add(Summarize(m, counts.GetValueOrDefault(m.Name)));
        }
        var owners = state.Ring is { } ring ? ring.Owners.Select(owner => index[owner]).ToImmutableArray() : [];
        return new RingSummary(state.ClusterName, state.Version, state.PartitionCount, members.ToImmutable(), owners,
            [.. state.Buckets.Values], silo.Name, silo.Options.AdvertisedGatewayAddress, silo.Options.Limits.MaxRequestBytes);
    }

    /// <summary>
    /// This silo's status: every member it knows, the transfers of the whole cluster (every active silo it reaches is
    /// asked for its part in the ring change under way), the hints it holds per target, its counters.
    /// </summary>
    public async Task<SiloStatusSnapshot> StatusAsync(CancellationToken ct)
    {
        var state = silo.Membership.State;
        var counts = state.Ring?.PartitionCounts() ?? new Dictionary<string, int>();
        var members = state.Members.Values.Select(m => Summarize(m, counts.GetValueOrDefault(m.Name))).ToImmutableArray();
        var hints = await silo.Store.Hints.CountByTargetAsync(ct);
        var summaries = silo.Feature<Transfer.OwnershipTransferFeature>() is { } transfer ? [.. await transfer.ClusterReportAsync(ct)] : ImmutableArray<SiloTransfers>.Empty;
        var transfers = summaries.IsEmpty
            ? silo.TransferReporters.SelectMany(r => r.Transfers()).ToImmutableArray()
            : summaries.SelectMany(s => s.Outbound).ToImmutableArray();
        return new SiloStatusSnapshot(silo.Name, members, transfers, hints, silo.Counters.Snapshot(),
            silo.Feature<Diagnostics.MetricsFeature>()?.OwnProcess(), summaries);
    }

    /// <summary>
    /// Creates a bucket or changes its settings; unset values come from the default bucket. Throws
    /// <see cref="DynamoErrorKind.InvalidArgument"/> naming the bad setting (a max-value-bytes above the silo's
    /// <see cref="Limits.LimitsOptions.MaxValueBytes"/> too), and <see cref="DynamoErrorKind.FailedPrecondition"/>
    /// naming the change when an existing bucket's N or policy would change without <see cref="BucketRequest.Force"/>
    /// (a new N moves every key's preference list; a new policy changes how its versions are kept).
    /// </summary>
    public async Task<BucketSettings> CreateBucketAsync(BucketRequest request, CancellationToken ct)
    {
        var kvPolicy = BucketSettings.ParsePolicy(request.Policy)
            ?? throw DynamoException.Invalid($"unknown conflict policy '{request.Policy}'; use 'siblings' or 'last-write-wins'");
        var policy = BucketSettings.PolicyForType(request.Type, kvPolicy)
            ?? throw DynamoException.Invalid($"unknown bucket type '{request.Type}'; use kv, counter, set or map");
        if (Core.Coordination.ConflictPolicies.DataType(policy) is not null && kvPolicy != Core.Coordination.ConflictPolicy.Siblings)
            throw DynamoException.Invalid($"bucket '{request.Name}': a {request.Type} bucket has no conflict policy (its values merge); leave --policy out");
        var defaults = silo.Membership.State.Buckets[BucketSettings.DefaultName];
        var settings = new BucketSettings(request.Name,
            request.N == 0 ? defaults.N : request.N,
            request.R == 0 ? defaults.R : request.R,
            request.W == 0 ? defaults.W : request.W,
            policy,
            request.MaxValueBytes == 0 ? defaults.MaxValueBytes : request.MaxValueBytes,
            request.PR, request.PW);
        if (settings.Validate() is { } bad) throw DynamoException.Invalid(bad);
        if (settings.MaxValueBytes > silo.Options.Limits.MaxValueBytes)
            throw DynamoException.Invalid($"bucket '{settings.Name}': max-value-bytes {settings.MaxValueBytes} is above the largest value silo {silo.Name} accepts, " +
                $"{silo.Options.Limits.MaxValueBytes} bytes ({Limits.LimitsOptions.Section}:MaxValueBytes)");
        if (settings.Name == BucketSettings.DefaultName) throw DynamoException.Invalid("the default bucket's settings come from the silo configuration");
        var buckets = silo.Membership.State.Buckets;
        if (buckets.TryGetValue(settings.Name, out var existing))
        {
            if (existing == settings) return existing; // unchanged: no event, so repeating a create never grows the history
            if (existing.TypeName != settings.TypeName)
                throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                    $"bucket '{settings.Name}' exists with type {existing.TypeName}: its type is fixed at creation and cannot become {settings.TypeName}, not even with force");
            if (!request.Force && settings.RedefinitionOf(existing) is { } change)
                throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"bucket '{settings.Name}' exists: this would change {change}; repeat with force (--force) to change it");
        }
        else if (buckets.Count >= silo.Options.MaxBuckets)
        {
            throw new DynamoException(DynamoErrorKind.FailedPrecondition,
                $"cluster '{silo.Options.ClusterName}' holds {buckets.Count} buckets, the most it may hold (Silo:MaxBuckets {silo.Options.MaxBuckets}); bucket '{settings.Name}' was not created");
        }
        await silo.Membership.DefineBucketAsync(settings, ct);
        return settings;
    }

    /// <summary>What every primary replica of the key holds, read without reconciling (for debugging divergence).</summary>
    public async Task<KeyReplicasSnapshot> ReplicasAsync(string? bucketName, string? keyName, CancellationToken ct)
    {
        var state = silo.Membership.State;
        var (bucket, key) = silo.Coordinator.Resolve(state, bucketName, keyName);
        var ring = state.Ring ?? throw DynamoException.Unavailable("no silo is up in the ring yet");
        var list = ring.PreferenceListFor(key, bucket.N);
        var timeout = TimeSpan.FromMilliseconds(silo.Options.ReplicaTimeoutMs);
        var reads = list.Primaries.Select(async s =>
        {
            try
            {
                var result = await silo.Transport.SendAsync(s, new ReplicaRead(list.Partition, key, silo.Name), timeout, ct);
                return result.Siblings is { } set
                    ? new ReplicaHolding(s, true, !set.IsDeleted, [.. set.Siblings], null)
                    : new ReplicaHolding(s, true, false, [], null);
            }
            catch (DynamoException e)
            {
                return new ReplicaHolding(s, false, false, [], e.Message);
            }
        }).ToList();
        return new KeyReplicasSnapshot(list.Partition, [.. list.Primaries], [.. await Task.WhenAll(reads)]);
    }

    private static readonly TimeSpan SeedRetryPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gossips with the seed given by address; until it answers, meets the members Orleans lists (they teach this silo
    /// the ring and so the seed's address) and tries again, for <see cref="Protocol.Limits.JoinTimings.SeedPatience"/> at
    /// most (the SDK gives a join longer than that). False when the seed refused this silo or could not be reached in
    /// that time.
    /// </summary>
    private async Task<bool> MeetSeedAsync(string seedAddress, CancellationToken ct)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            long refusals = silo.Membership.Refusals;
            if (await silo.Membership.GossipWithAsync(seedAddress, ct)) return true;
            if (silo.Membership.Refusals != refusals || System.Diagnostics.Stopwatch.GetElapsedTime(start) >= Protocol.Limits.JoinTimings.SeedPatience) return false;
            await silo.Membership.MeetSeedsAsync(ct);
            await Task.Delay(SeedRetryPause, ct);
        }
    }

    /// <summary>
    /// Makes this silo join: <paramref name="siloAddress"/> (when given) must be this silo's advertised gRPC address;
    /// <paramref name="seedAddress"/> (when given) is a member it first exchanges membership with. Returns a message for the operator.
    /// </summary>
    public async Task<string> JoinAsync(string? siloAddress, string? seedAddress, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(siloAddress) && !string.Equals(siloAddress.TrimEnd('/'), silo.Options.AdvertisedGrpcAddress, StringComparison.OrdinalIgnoreCase))
            throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"this is silo {silo.Name} at {silo.Options.AdvertisedGrpcAddress}; send join to the silo that joins ({siloAddress})");
        if (!string.IsNullOrEmpty(seedAddress) && !await MeetSeedAsync(seedAddress, ct))
            throw DynamoException.Unavailable($"could not reach the seed {seedAddress}, or it refused this silo (see both logs)");
        if (silo.Membership.State.Member(silo.Name)?.Status == MemberStatus.Up)
            return $"{silo.Name} is a member already";
        await silo.Membership.JoinSelfAsync(ct);
        if (!string.IsNullOrEmpty(seedAddress)) await silo.Membership.GossipWithAsync(seedAddress, ct);
        return $"{silo.Name} joined cluster {silo.Options.ClusterName}";
    }

    /// <summary>Makes the silo named <paramref name="siloName"/> leave; its partitions move to their new owners first.</summary>
    public async Task<string> LeaveAsync(string siloName, CancellationToken ct)
    {
        await silo.Membership.LeaveAsync(siloName, ct);
        return $"{siloName} is leaving; its partitions move to their new owners";
    }

    /// <summary>
    /// `dynamo repair`: anti-entropy exchanges now for <paramref name="partition"/> (−1: every partition this silo holds);
    /// waits up to the configured <see cref="AntiEntropyOptions.RepairWaitMs"/> and reports what finished.
    /// </summary>
    public Task<RepairReport> RepairAsync(int partition, CancellationToken ct)
    {
        var antiEntropy = silo.Feature<AntiEntropyService>()
            ?? throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"anti-entropy is not installed on {silo.Name}");
        return antiEntropy.RepairNowAsync(partition, TimeSpan.FromMilliseconds(silo.Options.AntiEntropy.RepairWaitMs), ct);
    }

    private MemberSummary Summarize(MemberState m, int partitions)
    {
        var state = silo.Membership.State;
        int n = state.Buckets.TryGetValue(BucketSettings.DefaultName, out var bucket) ? bucket.N : 0;
        int replicas = state.Ring is { } ring && ring.FindMember(m.Name) is not null ? ring.PartitionsOf(m.Name, n).Count : 0;
        return new(m.Name, m.Info.Address, m.Info.HttpAddress, m.Info.Zone, silo.StatusOf(m, showJoining: true), partitions, replicas,
            m.Info.GatewayAddress);
    }
}
