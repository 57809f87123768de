using Google.Protobuf;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Protocol.DataTypes;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.AntiEntropy;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Security;
using WireSibling = OrleansDynamo.Protocol.Grpc.Sibling;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// The client API's wire messages (generated from client.proto) mapped to and from <see cref="SiloApi"/> calls:
/// one mapping for both ways in, the gRPC service (<see cref="DynamoGrpcService"/>) and the Orleans calls
/// (<see cref="Grains.DynamoApiCalls"/>). Generated types end here. Failures are <see cref="DynamoException"/>s.
/// Each call is checked first by the <see cref="ApiAuthorizer"/>, with the API key the caller sent (null: none).
/// </summary>
public sealed class WireApi(SiloApi api, ApiAuthorizer auth)
{
    public async Task<GetResponse> Get(GetRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Get);
        var outcome = await api.GetAsync(new GetCommand(request.Bucket, request.Key, (int)request.R, (int)request.Pr, (int)request.Hops), ct);
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
            if (!s.Tombstone) response.Siblings.Add(ToWire(s));
        }
        return response;
    }

    public async Task<ReadReplicaResponse> ReadReplica(ReadReplicaRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Get);
        var versions = await api.ReadReplicaAsync(request.Bucket, request.Key, ct);
        return new ReadReplicaResponse
        {
            Versions = versions is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(VersionCodec.EncodeSiblingSet(versions)),
            Silo = api.SiloName,
        };
    }

    public async Task<PutResponse> Put(PutRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Put);
        return ToWire(await api.PutAsync(new PutCommand(request.Bucket, request.Key, request.Value.ToByteArray(), request.Context, false,
            (int)request.W, (int)request.Pw, (int)request.Hops, request.ContentType.Length == 0 ? null : request.ContentType), ct));
    }

    public async Task<PutResponse> Delete(DeleteRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Delete);
        return ToWire(await api.PutAsync(new PutCommand(request.Bucket, request.Key, [], request.Context, true,
            (int)request.W, (int)request.Pw, (int)request.Hops), ct));
    }

    public async Task<UpdateResponse> Update(UpdateRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, request.Op is null ? ApiVerb.Delete : ApiVerb.Put);
        byte[]? operation = request.Op is null ? null : DataTypeOperationCodec.Encode(DataTypeWire.FromWire(request.Op));
        var outcome = await api.UpdateAsync(new UpdateCommand(request.Bucket, request.Key, operation, request.Context, (int)request.W, (int)request.Pw, (int)request.Hops), ct);
        var state = DataTypeCodec.Decode(outcome.State);
        return new UpdateResponse
        {
            Value = DataTypeWire.ToWire(state), Context = DataTypeCodec.EncodeContext(state.Context), ReplicasAcked = (uint)outcome.ReplicasAcked, Coordinator = outcome.Coordinator,
        };
    }

    public async Task<FetchResponse> Fetch(FetchRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Get);
        var outcome = await api.FetchAsync(new FetchCommand(request.Bucket, request.Key, (int)request.R, (int)request.Pr, (int)request.Hops), ct);
        var state = DataTypeCodec.Decode(outcome.State);
        return new FetchResponse
        {
            Found = outcome.Found, Value = DataTypeWire.ToWire(state), Context = DataTypeCodec.EncodeContext(state.Context),
            ReplicasAnswered = (uint)outcome.ReplicasAnswered, Coordinator = outcome.Coordinator,
        };
    }

    public Task<RingInfo> GetRing(GetRingRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Ring);
        var ring = api.Ring();
        var info = new RingInfo { ClusterName = ring.ClusterName, Version = (ulong)ring.Version, PartitionCount = (uint)ring.PartitionCount, AnsweredBy = ring.AnsweredBy,
            AnsweredByGateway = ring.AnsweredByGateway ?? "", MaxRequestBytes = (ulong)Math.Max(0, ring.MaxRequestBytes) };
        foreach (var m in ring.Silos) info.Silos.Add(ToWire(m));
        foreach (var owner in ring.Owners) info.Owners.Add((uint)owner);
        foreach (var b in ring.Buckets) info.Buckets.Add(ToWire(b));
        return Task.FromResult(info);
    }

    public async Task<StatusResponse> GetStatus(StatusRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Status);
        var status = await api.StatusAsync(ct);
        var response = new StatusResponse { Silo = status.Silo };
        foreach (var m in status.Silos) response.Silos.Add(ToWire(m));
        foreach (var (target, n) in status.HintsWaiting) response.HintsWaiting[target] = Unsigned(n);
        foreach (var (name, value) in status.Counters) response.Counters[name] = Unsigned(value);
        foreach (var t in status.Transfers)
        {
            response.Transfers.Add(new TransferStatus
            {
                Partition = (uint)t.Partition, FromSilo = t.FromSilo, ToSilo = t.ToSilo, KeysSent = Unsigned(t.KeysSent), State = t.State, KeysTotal = Unsigned(t.KeysTotal),
            });
        }
        foreach (var s in status.TransferSummaries.IsDefault ? [] : status.TransferSummaries)
        {
            response.TransferSummaries.Add(new SiloTransferSummary
            {
                Silo = s.Silo, PartitionsToSend = (uint)s.PartitionsToSend, KeysSent = Unsigned(s.KeysSent), KeysLeft = Unsigned(s.KeysLeft),
                KeysPerSecond = s.KeysPerSecond, PartitionsToReceive = (uint)s.PartitionsToReceive, Pace = s.Pace, Answered = s.Answered,
                Membership = s.Membership,
            });
        }
        if (status.Process is { } p)
        {
            response.Process = new ProcessInfo
            {
                UptimeSeconds = p.UptimeSeconds, Version = p.Version, CpuPercent = p.CpuPercent, WorkingSetBytes = Unsigned(p.WorkingSetBytes),
                GcHeapBytes = Unsigned(p.GcHeapBytes), Gen0Collections = (uint)p.Gen0Collections, Gen1Collections = (uint)p.Gen1Collections,
                Gen2Collections = (uint)p.Gen2Collections, GcPauseSeconds = p.GcPauseSeconds, ProcessorCount = (uint)p.ProcessorCount,
            };
        }
        return response;
    }

    public async Task<BucketInfo> CreateBucket(CreateBucketRequest request, string? apiKey, CancellationToken ct)
    {
        var b = request.Bucket;
        auth.Authorize(apiKey, ApiVerb.CreateBucket, b is null ? "no settings" :
            $"bucket '{b.Name}' N={b.N} R={b.R} W={b.W} PR={b.Pr} PW={b.Pw} type={(b.Type.Length == 0 ? "kv" : b.Type)} policy={b.Policy} max-value-bytes={b.MaxValueBytes}{(request.Force ? " force" : "")}");
        if (b is null) throw DynamoException.Invalid("bucket settings are missing");
        var settings = await api.CreateBucketAsync(new BucketRequest(b.Name, Signed(b.N), Signed(b.R), Signed(b.W), b.Policy, Signed(b.MaxValueBytes), Signed(b.Pr), Signed(b.Pw),
            request.Force, b.Type), ct);
        return ToWire(settings);
    }

    public async Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Replicas, $"bucket '{request.Bucket}' key '{request.Key}'");
        var report = await api.ReplicasAsync(request.Bucket, request.Key, ct);
        var response = new GetReplicasResponse { Partition = (uint)report.Partition };
        response.PreferenceList.AddRange(report.PreferenceList);
        foreach (var r in report.Replicas)
        {
            var replica = new ReplicaSiblings { Silo = r.Silo, Reachable = r.Reachable, Found = r.Found, Error = r.Error ?? "" };
            foreach (var s in r.Siblings) replica.Siblings.Add(ToWire(s));
            response.Replicas.Add(replica);
        }
        return response;
    }

    public async Task<AdminResponse> Join(JoinRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Join, $"silo {request.SiloAddress} seed {request.SeedAddress}");
        return new() { Message = await api.JoinAsync(request.SiloAddress, request.SeedAddress, ct) };
    }

    public async Task<AdminResponse> Leave(LeaveRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Leave, $"silo {request.SiloName}");
        return new() { Message = await api.LeaveAsync(request.SiloName, ct) };
    }

    public async Task<AdminResponse> Repair(RepairRequest request, string? apiKey, CancellationToken ct)
    {
        auth.Authorize(apiKey, ApiVerb.Repair, request.Partition < 0 ? "every partition" : $"partition {request.Partition}");
        var report = await api.RepairAsync(request.Partition, ct);
        return new() { Message = report.Describe(), Repair = ToWire(report) };
    }

    private static RepairSummary ToWire(RepairReport report)
    {
        var summary = new RepairSummary { Silo = report.Silo, StillRunning = (uint)Math.Max(0, report.StillRunning) };
        foreach (var r in report.Finished)
        {
            summary.Exchanges.Add(new RepairExchange
            {
                Partition = (uint)r.Tree.Partition, N = (uint)r.Tree.N, Peer = r.Peer ?? "", Outcome = OutcomeName(r.Outcome),
                DifferingSegments = (uint)Math.Max(0, r.DifferingSegments), KeysRepaired = (uint)Math.Max(0, r.KeysRepaired), Bytes = Unsigned(r.Bytes),
                TombstonesRemoved = (uint)Math.Max(0, r.TombstonesRemoved), ElapsedMs = (uint)Math.Clamp(r.Elapsed.TotalMilliseconds, 0, uint.MaxValue),
                Detail = r.Detail ?? "",
            });
        }
        return summary;
    }

    /// <summary>An exchange's outcome as client.proto spells it (names only ever appended).</summary>
    private static string OutcomeName(ExchangeOutcome outcome) => outcome switch
    {
        ExchangeOutcome.InSync => "in-sync",
        ExchangeOutcome.Repaired => "repaired",
        ExchangeOutcome.PeerNotReady => "peer-not-ready",
        ExchangeOutcome.Busy => "busy",
        ExchangeOutcome.NoPeer => "no-peer",
        ExchangeOutcome.Failed => "failed",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    private static PutResponse ToWire(PutOutcome outcome) => new()
    {
        Context = VersionCodec.EncodeContext(outcome.Context), ReplicasAcked = (uint)outcome.ReplicasAcked, Coordinator = outcome.Coordinator,
    };

    private static SiloInfo ToWire(MemberSummary m) => new()
    {
        Name = m.Name, GrpcAddress = m.GrpcAddress, HttpAddress = m.HttpAddress ?? "", Zone = m.Zone ?? "", Status = m.Status, Partitions = (uint)m.Partitions,
        Replicas = (uint)m.Replicas, GatewayAddress = m.GatewayAddress ?? "",
    };

    private static WireSibling ToWire(Core.Versioning.Sibling s) => new()
    {
        Value = UnsafeByteOperations.UnsafeWrap(s.Value), Deleted = s.Tombstone, TimestampMs = s.TimestampMs, ContentType = s.ContentType ?? "",
    };

    private static BucketInfo ToWire(BucketSettings b) => new()
    {
        Name = b.Name, N = (uint)b.N, R = (uint)b.R, W = (uint)b.W, Pr = (uint)b.PR, Pw = (uint)b.PW,
        Policy = BucketSettings.PolicyName(b.Policy), MaxValueBytes = (uint)b.MaxValueBytes, Type = b.TypeName,
    };

    private static ulong Unsigned(long value) => (ulong)Math.Max(0, value);

    /// <summary>A wire count as an int; values past int.MaxValue are capped (and then refused by validation where they matter).</summary>
    private static int Signed(uint value) => (int)Math.Min(value, int.MaxValue);
}
