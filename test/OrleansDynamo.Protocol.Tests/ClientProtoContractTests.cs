using Google.Protobuf.Reflection;
using OrleansDynamo.Protocol.Etcd;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Protocol.Tests;

/// <summary>
/// The wire contract of client.proto as clients in the field were built against it: every message, field name and
/// field number, and every method of orleansdynamo.v1.Dynamo. A field may be added; none may be renumbered or removed.
/// </summary>
public sealed class ClientProtoContractTests
{
    /// <summary>client.proto as released: "Message: field=number ...".</summary>
    private static readonly string[] s_released =
    [
        "GetRequest: bucket=1 key=2 r=3 pr=4 hops=5",
        "Sibling: value=1 deleted=2 timestamp_ms=3 content_type=4",
        "GetResponse: found=1 siblings=2 context=3 replicas_answered=4 coordinator=5 fastest_replica=6",
        "PutRequest: bucket=1 key=2 value=3 context=4 w=5 pw=6 hops=7 content_type=8",
        "DeleteRequest: bucket=1 key=2 context=3 w=4 pw=5 hops=6",
        "PutResponse: context=1 replicas_acked=2 coordinator=3",
        "GetRingRequest:",
        "SiloInfo: name=1 grpc_address=2 http_address=3 zone=4 status=5 partitions=6 replicas=7",
        "BucketInfo: name=1 n=2 r=3 w=4 policy=5 max_value_bytes=6 pr=7 pw=8",
        "RingInfo: cluster_name=1 version=2 partition_count=3 silos=4 owners=5 buckets=6 answered_by=7",
        "StatusRequest:",
        "TransferStatus: partition=1 from_silo=2 to_silo=3 keys_sent=4 state=5",
        "StatusResponse: silo=1 silos=2 transfers=3 hints_waiting=4 counters=5 process=6",
        "ProcessInfo: uptime_seconds=1 version=2 cpu_percent=3 working_set_bytes=4 gc_heap_bytes=5 gen0_collections=6 gen1_collections=7 gen2_collections=8 gc_pause_seconds=9 processor_count=10",
        "CreateBucketRequest: bucket=1",
        "GetReplicasRequest: bucket=1 key=2",
        "ReplicaSiblings: silo=1 reachable=2 siblings=3 found=4 error=5",
        "GetReplicasResponse: partition=1 preference_list=2 replicas=3",
        "JoinRequest: silo_address=1 seed_address=2",
        "LeaveRequest: silo_name=1",
        "RepairRequest: partition=1",
        "AdminResponse: message=1 repair=2",
        "RepairSummary: silo=1 exchanges=2 still_running=3",
        "RepairExchange: partition=1 n=2 peer=3 outcome=4 differing_segments=5 keys_repaired=6 bytes=7 tombstones_removed=8 elapsed_ms=9 detail=10",
    ];

    /// <summary>The service's methods as released: "Name(Request) Response".</summary>
    private static readonly string[] s_methods =
    [
        "Get(GetRequest) GetResponse",
        "Put(PutRequest) PutResponse",
        "Delete(DeleteRequest) PutResponse",
        "GetRing(GetRingRequest) RingInfo",
        "GetStatus(StatusRequest) StatusResponse",
        "CreateBucket(CreateBucketRequest) BucketInfo",
        "GetReplicas(GetReplicasRequest) GetReplicasResponse",
        "Join(JoinRequest) AdminResponse",
        "Leave(LeaveRequest) AdminResponse",
        "Repair(RepairRequest) AdminResponse",
    ];

    public static TheoryData<string> ReleasedMessages => new(s_released);

    [Theory]
    [MemberData(nameof(ReleasedMessages))]
    public void Released_fields_keep_their_names_and_numbers(string released)
    {
        var name = released[..released.IndexOf(':', StringComparison.Ordinal)];
        var message = ClientReflection.Descriptor.MessageTypes.SingleOrDefault(m => m.Name == name);
        Assert.True(message is not null, $"message {name} is gone from client.proto");
        foreach (var field in released[(name.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (fieldName, number) = (field[..field.IndexOf('=', StringComparison.Ordinal)], int.Parse(field[(field.IndexOf('=', StringComparison.Ordinal) + 1)..]));
            var descriptor = message.FindFieldByName(fieldName);
            Assert.True(descriptor is not null, $"{name}.{fieldName} is gone");
            Assert.Equal(number, descriptor.FieldNumber);
        }
    }

    [Fact]
    public void No_field_number_is_used_twice_in_a_message()
    {
        foreach (var message in ClientReflection.Descriptor.MessageTypes)
        {
            var numbers = message.Fields.InFieldNumberOrder().Select(f => f.FieldNumber).ToList();
            Assert.Equal(numbers.Count, numbers.Distinct().Count());
        }
    }

    [Fact]
    public void The_service_keeps_its_name_and_methods()
    {
        var service = Dynamo.Descriptor;
        Assert.Equal("orleansdynamo.v1.Dynamo", service.FullName);
        var methods = service.Methods.Select(m => $"{m.Name}({m.InputType.Name}) {m.OutputType.Name}").ToList();
        Assert.All(s_methods, m => Assert.Contains(m, methods));
    }

    [Fact]
    public void The_etcd_client_calls_etcds_own_service_and_methods()
    {
        Assert.Equal("etcdserverpb.KV", KV.Descriptor.FullName);
        Assert.Equal(["Range", "Put"], KV.Descriptor.Methods.Select(m => m.Name));
        Assert.Equal("etcdserverpb.RangeRequest", KV.Descriptor.FindMethodByName("Range").InputType.FullName);
        Assert.Equal("etcdserverpb.PutRequest", KV.Descriptor.FindMethodByName("Put").InputType.FullName);
    }
}
