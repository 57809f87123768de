using Google.Protobuf;
using Microsoft.AspNetCore.Routing;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Transport.Grpc;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// The client API (gRPC service orleansdynamo.v1.Dynamo): decodes requests, hands them to the
/// coordinator or the membership, and encodes the answers. Generated types end here.
/// </summary>
public sealed class ClientApiService(SiloRuntime silo)
{
    public const string Service = "orleansdynamo.v1.Dynamo";

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcUnary<GetRequest, GetResponse>(Service, "Get", (r, c) => GrpcErrors.Guard(() => GetAsync(r, c.CancellationToken)));
        endpoints.MapGrpcUnary<PutRequest, PutResponse>(Service, "Put", (r, c) => GrpcErrors.Guard(() => PutAsync(r, c.CancellationToken)));
        endpoints.MapGrpcUnary<DeleteRequest, PutResponse>(Service, "Delete", (r, c) => GrpcErrors.Guard(() => DeleteAsync(r, c.CancellationToken)));
        endpoints.MapGrpcUnary<GetRingRequest, RingInfo>(Service, "GetRing", (_, _) => GrpcErrors.Guard(() => Task.FromResult(Ring())));
        endpoints.MapGrpcUnary<StatusRequest, StatusResponse>(Service, "GetStatus", (_, c) => GrpcErrors.Guard(() => StatusAsync(c.CancellationToken)));
        endpoints.MapGrpcUnary<CreateBucketRequest, BucketInfo>(Service, "CreateBucket", (r, c) => GrpcErrors.Guard(() => CreateBucketAsync(r, c.CancellationToken)));
        endpoints.MapGrpcUnary<GetReplicasRequest, GetReplicasResponse>(Service, "GetReplicas", (r, c) => GrpcErrors.Guard(() => ReplicasAsync(r, c.CancellationToken)));
        endpoints.MapGrpcUnary<JoinRequest, AdminResponse>(Service, "Join", (r, c) => GrpcErrors.Guard(() => JoinAsync(r, c.CancellationToken)));
        endpoints.MapGrpcUnary<LeaveRequest, AdminResponse>(Service, "Leave", (r, c) => GrpcErrors.Guard(() => LeaveAsync(r, c.CancellationToken)));
    }

    public async Task<GetResponse> GetAsync(GetRequest request, CancellationToken ct)
    {
        var outcome = await silo.Coordinator.GetAsync(new GetCommand(request.Bucket, request.Key, (int)request.R, (int)request.Pr, (int)request.Hops), ct);
        var response = new GetResponse
        {
            Found = outcome.Found,
            Context = VersionCodec.EncodeContext(outcome.Context),
            ReplicasAnswered = (uint)outcome.ReplicasAnswered,
            Coordinator = outcome.Coordinator,
            FastestReplica = outcome.FastestReplica ?? "",
        };
        foreach (var s in outcome.Siblings)
        {
            if (!s.Tombstone) response.Siblings.Add(ToProto(s));
        }
        return response;
    }

    public async Task<PutResponse> PutAsync(PutRequest request, CancellationToken ct)
    {
        var outcome = await silo.Coordinator.PutAsync(
            new PutCommand(request.Bucket, request.Key, request.Value.ToByteArray(), request.Context, false, (int)request.W, (int)request.Pw, (int)request.Hops), ct);
        return new PutResponse { Context = VersionCodec.EncodeContext(outcome.Context), ReplicasAcked = (uint)outcome.ReplicasAcked, Coordinator = outcome.Coordinator };
    }

    public async Task<PutResponse> DeleteAsync(DeleteRequest request, CancellationToken ct)
    {
        var outcome = await silo.Coordinator.PutAsync(
            new PutCommand(request.Bucket, request.Key, [], request.Context, true, (int)request.W, (int)request.Pw, (int)request.Hops), ct);
        return new PutResponse { Context = VersionCodec.EncodeContext(outcome.Context), ReplicasAcked = (uint)outcome.ReplicasAcked, Coordinator = outcome.Coordinator };
    }

    public RingInfo Ring()
    {
        var state = silo.Membership.State;
        var info = new RingInfo { ClusterName = state.ClusterName, Version = (ulong)state.Version, PartitionCount = (uint)state.PartitionCount, AnsweredBy = silo.Name };
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var counts = state.Ring?.PartitionCounts() ?? new Dictionary<string, int>();
        foreach (var m in state.Active)
        {
            index[m.Name] = info.Silos.Count;
            info.Silos.Add(ToProto(m, counts.GetValueOrDefault(m.Name)));
        }
        if (state.Ring is { } ring)
        {
            foreach (var owner in ring.Owners) info.Owners.Add((uint)index[owner]);
        }
        foreach (var b in state.Buckets.Values) info.Buckets.Add(ToProto(b));
        return info;
    }

    public async Task<StatusResponse> StatusAsync(CancellationToken ct)
    {
        var state = silo.Membership.State;
        var response = new StatusResponse { Silo = silo.Name };
        var counts = state.Ring?.PartitionCounts() ?? new Dictionary<string, int>();
        foreach (var m in state.Members.Values) response.Silos.Add(ToProto(m, counts.GetValueOrDefault(m.Name)));
        foreach (var (target, n) in await silo.Store.Hints.CountByTargetAsync(ct)) response.HintsWaiting[target] = (ulong)n;
        foreach (var (name, value) in silo.Counters.Snapshot()) response.Counters[name] = (ulong)Math.Max(0, value);
        foreach (var t in silo.TransferReporters.SelectMany(r => r.Transfers()))
        {
            response.Transfers.Add(new TransferStatus { Partition = (uint)t.Partition, FromSilo = t.FromSilo, ToSilo = t.ToSilo, KeysSent = (ulong)t.KeysSent, State = t.State });
        }
        return response;
    }

    public async Task<BucketInfo> CreateBucketAsync(CreateBucketRequest request, CancellationToken ct)
    {
        var b = request.Bucket ?? throw DynamoException.Invalid("bucket settings are missing");
        var policy = BucketSettings.ParsePolicy(b.Policy) ?? throw DynamoException.Invalid($"unknown conflict policy '{b.Policy}'; use 'siblings' or 'last-write-wins'");
        var defaults = silo.Membership.State.Buckets[BucketSettings.DefaultName];
        var settings = new BucketSettings(b.Name, (int)(b.N == 0 ? (uint)defaults.N : b.N), (int)(b.R == 0 ? (uint)defaults.R : b.R),
            (int)(b.W == 0 ? (uint)defaults.W : b.W), policy, b.MaxValueBytes == 0 ? defaults.MaxValueBytes : (int)Math.Min(b.MaxValueBytes, int.MaxValue), (int)b.Pr, (int)b.Pw);
        if (settings.Validate() is { } bad) throw DynamoException.Invalid(bad);
        if (settings.Name == BucketSettings.DefaultName) throw DynamoException.Invalid("the default bucket's settings come from the silo configuration");
        await silo.Membership.DefineBucketAsync(settings, ct);
        return ToProto(settings);
    }

    public async Task<GetReplicasResponse> ReplicasAsync(GetReplicasRequest request, CancellationToken ct)
    {
        var state = silo.Membership.State;
        var (bucket, key) = silo.Coordinator.Resolve(state, request.Bucket, request.Key);
        var ring = state.Ring ?? throw DynamoException.Unavailable("no silo is up in the ring yet");
        var list = ring.PreferenceListFor(key, bucket.N);
        var response = new GetReplicasResponse { Partition = (uint)list.Partition };
        response.PreferenceList.AddRange(list.Primaries);
        var reads = list.Primaries.Select(async s =>
        {
            var replica = new ReplicaSiblings { Silo = s };
            try
            {
                var result = await silo.Transport.SendAsync(s, new ReplicaRead(list.Partition, key, silo.Name), TimeSpan.FromMilliseconds(silo.Options.ReplicaTimeoutMs), ct);
                replica.Reachable = true;
                if (result.Siblings is { } set)
                {
                    replica.Found = !set.IsDeleted;
                    foreach (var sib in set.Siblings) replica.Siblings.Add(ToProto(sib));
                }
            }
            catch (DynamoException e)
            {
                replica.Error = e.Message;
            }
            return replica;
        }).ToList();
        response.Replicas.AddRange(await Task.WhenAll(reads));
        return response;
    }

    public async Task<AdminResponse> JoinAsync(JoinRequest request, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(request.SiloAddress) && !string.Equals(request.SiloAddress.TrimEnd('/'), silo.Options.AdvertisedGrpcAddress, StringComparison.OrdinalIgnoreCase))
            throw new DynamoException(DynamoErrorKind.FailedPrecondition, $"this is silo {silo.Name} at {silo.Options.AdvertisedGrpcAddress}; send join to the silo that joins ({request.SiloAddress})");
        if (!string.IsNullOrEmpty(request.SeedAddress) && !await silo.Membership.GossipWithAsync(request.SeedAddress, ct))
            throw DynamoException.Unavailable($"could not reach the seed {request.SeedAddress}, or it refused this silo (see both logs)");
        if (silo.Membership.State.Member(silo.Name)?.Status == MemberStatus.Up)
            return new AdminResponse { Message = $"{silo.Name} is a member already" };
        await silo.Membership.JoinSelfAsync(ct);
        if (!string.IsNullOrEmpty(request.SeedAddress)) await silo.Membership.GossipWithAsync(request.SeedAddress, ct);
        return new AdminResponse { Message = $"{silo.Name} joined cluster {silo.Options.ClusterName}" };
    }

    public async Task<AdminResponse> LeaveAsync(LeaveRequest request, CancellationToken ct)
    {
        await silo.Membership.LeaveAsync(request.SiloName, ct);
        return new AdminResponse { Message = $"{request.SiloName} is leaving; its partitions move to their new owners" };
    }

    private SiloInfo ToProto(MemberState m, int partitions) => new()
    {
        Name = m.Name,
        GrpcAddress = m.Info.Address,
        HttpAddress = m.Info.HttpAddress ?? "",
        Zone = m.Info.Zone ?? "",
        Status = silo.StatusOf(m, showJoining: true),
        Partitions = (uint)partitions,
    };

    private static Protocol.Grpc.Sibling ToProto(Core.Versioning.Sibling s) => new()
    {
        Value = UnsafeByteOperations.UnsafeWrap(s.Value), Deleted = s.Tombstone, TimestampMs = s.TimestampMs,
    };

    public static BucketInfo ToProto(BucketSettings b) => new()
    {
        Name = b.Name, N = (uint)b.N, R = (uint)b.R, W = (uint)b.W, Pr = (uint)b.PR, Pw = (uint)b.PW,
        Policy = BucketSettings.PolicyName(b.Policy), MaxValueBytes = (uint)b.MaxValueBytes,
    };
}
