using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client;

/// <summary>Maps the generated wire messages to the client's types. The only place that knows both.</summary>
internal static class WireMapping
{
    public static ClusterRing ToRing(RingInfo info)
    {
        var silos = new ClusterSilo[info.Silos.Count];
        for (int i = 0; i < silos.Length; i++) silos[i] = ClusterSilo.FromWire(info.Silos[i]);
        if (info.PartitionCount != 0 && info.Owners.Count != info.PartitionCount)
            throw new ArgumentException($"the ring says {info.PartitionCount} partitions but lists {info.Owners.Count} owners");
        var owners = new int[info.Owners.Count];
        for (int p = 0; p < owners.Length; p++) owners[p] = info.Owners[p] > int.MaxValue ? -1 : (int)info.Owners[p];
        var buckets = new BucketSettings[info.Buckets.Count];
        for (int i = 0; i < buckets.Length; i++) buckets[i] = ToBucket(info.Buckets[i]);
        return new ClusterRing(info.ClusterName, info.Version, silos, owners, buckets, info.AnsweredBy)
        {
            MaxRequestBytes = (long)Math.Min(info.MaxRequestBytes, long.MaxValue),
        };
    }

    public static BucketSettings ToBucket(BucketInfo info)
    {
        var policy = BucketSettings.PolicyForType(info.Type, BucketSettings.ParsePolicy(info.Policy) ?? BucketSettings.ParsePolicy(null)!.Value)
            ?? BucketSettings.ParsePolicy(null)!.Value;
        return new BucketSettings(
            info.Name,
            N: (int)info.N,
            R: (int)info.R,
            W: (int)info.W,
            Policy: policy,
            MaxValueBytes: info.MaxValueBytes == 0 ? BucketSettings.DefaultMaxValueBytes : (int)Math.Min(info.MaxValueBytes, int.MaxValue),
            PR: (int)info.Pr,
            PW: (int)info.Pw);
    }

    public static BucketInfo ToWire(BucketSettings settings) => new()
    {
        Name = settings.Name,
        N = (uint)settings.N,
        R = (uint)settings.R,
        W = (uint)settings.W,
        Policy = settings.DataType is null ? BucketSettings.PolicyName(settings.Policy) : "",
        Type = settings.TypeName,
        MaxValueBytes = (uint)settings.MaxValueBytes,
        Pr = (uint)settings.PR,
        Pw = (uint)settings.PW,
    };

    public static GetResult ToResult(GetResponse response)
    {
        var siblings = ToSiblings(response.Siblings);
        return new GetResult(response.Found, siblings, DynamoContext.FromWire(response.Context, response.FastestReplica), (int)response.ReplicasAnswered, response.Coordinator);
    }

    public static PutResult ToResult(PutResponse response) =>
        new(DynamoContext.FromWire(response.Context), (int)Math.Min(response.ReplicasAcked, int.MaxValue), response.Coordinator);

    /// <summary>A repair's answer; a silo that sends no summary (an older one) answers its message alone.</summary>
    public static RepairResult ToResult(AdminResponse response)
    {
        var summary = response.Repair;
        if (summary is null) return new RepairResult("", [], 0, response.Message);
        var exchanges = new RepairExchange[summary.Exchanges.Count];
        for (int i = 0; i < exchanges.Length; i++)
        {
            var e = summary.Exchanges[i];
            exchanges[i] = new RepairExchange((int)e.Partition, (int)e.N, e.Peer, e.Outcome, Signed(e.DifferingSegments), Signed(e.KeysRepaired),
                (long)Math.Min(e.Bytes, long.MaxValue), Signed(e.TombstonesRemoved), TimeSpan.FromMilliseconds(e.ElapsedMs), e.Detail);
        }
        return new RepairResult(summary.Silo, exchanges, Signed(summary.StillRunning), response.Message);
    }

    private static int Signed(uint value) => (int)Math.Min(value, int.MaxValue);

    public static SiblingValue[] ToSiblings(Google.Protobuf.Collections.RepeatedField<Sibling> wire)
    {
        int count = wire.Count;
        if (count == 0) return GetResult.NoSiblings;
        var siblings = new SiblingValue[count];
        for (int i = 0; i < count; i++)
        {
            var s = wire[i];
            // ByteString.Memory exposes the parsed bytes without a copy; the message is not reused.
            siblings[i] = new SiblingValue(s.Value.Memory, s.Deleted, s.TimestampMs, s.ContentType.Length == 0 ? null : s.ContentType);
        }
        return siblings;
    }

    public static ClusterStatus ToStatus(StatusResponse response)
    {
        var silos = new ClusterSilo[response.Silos.Count];
        for (int i = 0; i < silos.Length; i++) silos[i] = ClusterSilo.FromWire(response.Silos[i]);
        var transfers = new TransferInfo[response.Transfers.Count];
        for (int i = 0; i < transfers.Length; i++)
        {
            var t = response.Transfers[i];
            transfers[i] = new TransferInfo((int)t.Partition, t.FromSilo, t.ToSilo, t.KeysSent, t.State, t.KeysTotal);
        }
        var summaries = new SiloTransferSummary[response.TransferSummaries.Count];
        for (int i = 0; i < summaries.Length; i++)
        {
            var s = response.TransferSummaries[i];
            summaries[i] = new SiloTransferSummary(s.Silo, (int)s.PartitionsToSend, s.KeysSent, s.KeysLeft, s.KeysPerSecond, (int)s.PartitionsToReceive, s.Pace, s.Answered, s.Membership);
        }
        var hints = new Dictionary<string, ulong>(response.HintsWaiting, StringComparer.Ordinal);
        var counters = new Dictionary<string, ulong>(response.Counters, StringComparer.Ordinal);
        var p = response.Process;
        var process = p is null ? null : new SiloProcess(p.UptimeSeconds, p.Version, p.CpuPercent, p.WorkingSetBytes, p.GcHeapBytes,
            p.Gen0Collections, p.Gen1Collections, p.Gen2Collections, p.GcPauseSeconds, p.ProcessorCount);
        return new ClusterStatus(response.Silo, silos, transfers, hints, counters, process, summaries);
    }

    public static ReplicaReport ToReport(GetReplicasResponse response)
    {
        var preference = new string[response.PreferenceList.Count];
        for (int i = 0; i < preference.Length; i++) preference[i] = response.PreferenceList[i];
        var replicas = new ReplicaState[response.Replicas.Count];
        for (int i = 0; i < replicas.Length; i++)
        {
            var r = response.Replicas[i];
            replicas[i] = new ReplicaState(r.Silo, r.Reachable, r.Found, ToSiblings(r.Siblings), r.Error);
        }
        return new ReplicaReport((int)response.Partition, preference, replicas);
    }
}
