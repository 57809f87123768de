using Google.Protobuf;
using Grpc.Core;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.Coordination;
using WireSibling = OrleansDynamo.Protocol.Grpc.Sibling;

namespace OrleansDynamo.Silo.Api;

/// <summary>
/// The client API as a Grpc.AspNetCore service (<c>orleansdynamo.v1.Dynamo</c>, generated from client.proto):
/// maps each request to a <see cref="SiloApi"/> call and its answer back to the wire. Generated types end here.
/// Failures become gRPC statuses in <see cref="ClientApiErrorInterceptor"/>.
/// </summary>
public sealed class DynamoGrpcService(SiloApi api) : Dynamo.DynamoBase
{
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var outcome = await api.GetAsync(new GetCommand(request.Bucket, request.Key, (int)request.R, (int)request.Pr, (int)request.Hops), context.CancellationToken);
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

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context) =>
        ToWire(await api.PutAsync(new PutCommand(request.Bucket, request.Key, request.Value.ToByteArray(), request.Context, false,
            (int)request.W, (int)request.Pw, (int)request.Hops), context.CancellationToken));

    public override async Task<PutResponse> Delete(DeleteRequest request, ServerCallContext context) =>
        ToWire(await api.PutAsync(new PutCommand(request.Bucket, request.Key, [], request.Context, true,
            (int)request.W, (int)request.Pw, (int)request.Hops), context.CancellationToken));

    public override Task<RingInfo> GetRing(GetRingRequest request, ServerCallContext context)
    {
        var ring = api.Ring();
        var info = new RingInfo { ClusterName = ring.ClusterName, Version = (ulong)ring.Version, PartitionCount = (uint)ring.PartitionCount, AnsweredBy = ring.AnsweredBy };
        foreach (var m in ring.Silos) info.Silos.Add(ToWire(m));
        foreach (var owner in ring.Owners) info.Owners.Add((uint)owner);
        foreach (var b in ring.Buckets) info.Buckets.Add(ToWire(b));
        return Task.FromResult(info);
    }

    public override async Task<StatusResponse> GetStatus(StatusRequest request, ServerCallContext context)
    {
        var status = await api.StatusAsync(context.CancellationToken);
        var response = new StatusResponse { Silo = status.Silo };
        foreach (var m in status.Silos) response.Silos.Add(ToWire(m));
        foreach (var (target, n) in status.HintsWaiting) response.HintsWaiting[target] = Unsigned(n);
        foreach (var (name, value) in status.Counters) response.Counters[name] = Unsigned(value);
        foreach (var t in status.Transfers)
        {
            response.Transfers.Add(new TransferStatus { Partition = (uint)t.Partition, FromSilo = t.FromSilo, ToSilo = t.ToSilo, KeysSent = Unsigned(t.KeysSent), State = t.State });
        }
        return response;
    }

    public override async Task<BucketInfo> CreateBucket(CreateBucketRequest request, ServerCallContext context)
    {
        var b = request.Bucket ?? throw DynamoException.Invalid("bucket settings are missing");
        var settings = await api.CreateBucketAsync(new BucketRequest(b.Name, Signed(b.N), Signed(b.R), Signed(b.W), b.Policy, Signed(b.MaxValueBytes), Signed(b.Pr), Signed(b.Pw)),
            context.CancellationToken);
        return ToWire(settings);
    }

    public override async Task<GetReplicasResponse> GetReplicas(GetReplicasRequest request, ServerCallContext context)
    {
        var report = await api.ReplicasAsync(request.Bucket, request.Key, context.CancellationToken);
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

    public override async Task<AdminResponse> Join(JoinRequest request, ServerCallContext context) =>
        new() { Message = await api.JoinAsync(request.SiloAddress, request.SeedAddress, context.CancellationToken) };

    public override async Task<AdminResponse> Leave(LeaveRequest request, ServerCallContext context) =>
        new() { Message = await api.LeaveAsync(request.SiloName, context.CancellationToken) };

    public override async Task<AdminResponse> Repair(RepairRequest request, ServerCallContext context) =>
        new() { Message = (await api.RepairAsync(request.Partition, context.CancellationToken)).Describe() };

    private static PutResponse ToWire(PutOutcome outcome) => new()
    {
        Context = VersionCodec.EncodeContext(outcome.Context), ReplicasAcked = (uint)outcome.ReplicasAcked, Coordinator = outcome.Coordinator,
    };

    private static SiloInfo ToWire(MemberSummary m) => new()
    {
        Name = m.Name, GrpcAddress = m.GrpcAddress, HttpAddress = m.HttpAddress ?? "", Zone = m.Zone ?? "", Status = m.Status, Partitions = (uint)m.Partitions,
        Replicas = (uint)m.Replicas,
    };

    private static WireSibling ToWire(Core.Versioning.Sibling s) => new()
    {
        Value = UnsafeByteOperations.UnsafeWrap(s.Value), Deleted = s.Tombstone, TimestampMs = s.TimestampMs,
    };

    private static BucketInfo ToWire(BucketSettings b) => new()
    {
        Name = b.Name, N = (uint)b.N, R = (uint)b.R, W = (uint)b.W, Pr = (uint)b.PR, Pw = (uint)b.PW,
        Policy = BucketSettings.PolicyName(b.Policy), MaxValueBytes = (uint)b.MaxValueBytes,
    };

    private static ulong Unsigned(long value) => (ulong)Math.Max(0, value);

    /// <summary>A wire count as an int; values past int.MaxValue are capped (and then refused by validation where they matter).</summary>
    private static int Signed(uint value) => (int)Math.Min(value, int.MaxValue);
}
