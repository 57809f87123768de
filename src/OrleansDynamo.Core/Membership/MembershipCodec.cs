using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Membership;

/// <summary>
/// Binary format of a membership history, for the metadata store and for gossip.
/// <code>
/// history    := format string cluster, varuint partitions, bucket default, varuint n, event*n
/// event      := varint lamport, string origin, byte kind, payload(kind)
///   Join: member   Leave/Left: string silo   Bucket: bucket
/// member     := string name, string address, string zone, double weight (as int64 bits), string http, [v2] string gateway
/// bucket     := string name, varuint n r w pr pw, byte policy, varuint maxValueBytes
/// </code>
/// Format 2 added the member's gateway; format 1 (written before) is still read, its members without one.
/// </summary>
public static class MembershipCodec
{
    public const byte FormatV1 = 1;
    public const byte FormatV2 = 2;

    private const int MaxEvents = 1_000_000;

    /// <summary>The fewest bytes an event takes: Lamport time, origin length, kind, and a payload of at least one byte.</summary>
    private const int MinEventBytes = 4;

    public static byte[] Encode(MembershipHistory history)
    {
        var w = new FormatWriter(256);
        w.Byte(FormatV2);
        w.String(history.ClusterName);
        w.VarUInt((ulong)history.PartitionCount);
        WriteBucket(w, history.DefaultBucket);
        w.VarUInt((ulong)history.Events.Count);
        foreach (var e in history.Events)
        {
            w.VarInt(e.Lamport);
            w.String(e.Origin);
            w.Byte((byte)e.Kind);
            switch (e.Kind)
            {
                case MembershipEventKind.Join:
                    var m = e.Member!;
                    w.String(m.Name);
                    w.String(m.Address);
                    w.String(m.Zone ?? "");
                    w.VarInt(BitConverter.DoubleToInt64Bits(m.Weight));
                    w.String(m.HttpAddress ?? "");
                    w.String(m.GatewayAddress ?? "");
                    break;
                case MembershipEventKind.Leave:
                case MembershipEventKind.Left:
                    w.String(e.SiloName!);
                    break;
                case MembershipEventKind.Bucket:
                    WriteBucket(w, e.Bucket!);
                    break;
            }
        }
        return w.ToArray();
    }

    /// <exception cref="VersionFormatException">The bytes are not a well-formed history, or a record in it is refused
    /// by its own type (a member, a bucket or the history itself).</exception>
    public static MembershipHistory Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Read(bytes);
        }
        catch (ArgumentException e)
        {
            throw new VersionFormatException("membership history is invalid: " + e.Message);
        }
    }

    private static MembershipHistory Read(ReadOnlySpan<byte> bytes)
    {
        var r = new FormatReader(bytes, "membership history");
        byte format = r.Byte();
        if (format is not (FormatV1 or FormatV2)) throw r.Fail($"has unknown format {format}");
        string cluster = r.String(1024);
        int partitions = SmallInt(ref r);
        var defaultBucket = ReadBucket(ref r);
        int n = r.Count(MaxEvents, MinEventBytes, "events");
        var events = new List<MembershipEvent>(n);
        for (int i = 0; i < n; i++)
        {
            long lamport = r.VarInt();
            string origin = r.String(1024);
            var kind = (MembershipEventKind)r.Byte();
            switch (kind)
            {
                case MembershipEventKind.Join:
                    string name = r.String(1024);
                    string address = r.String(4096);
                    string zone = r.String(1024);
                    double weight = BitConverter.Int64BitsToDouble(r.VarInt());
                    string http = r.String(4096);
                    string gateway = format >= FormatV2 ? r.String(4096) : "";
                    events.Add(MembershipEvent.Join(lamport, origin,
                        new MemberInfo(name, address, zone.Length == 0 ? null : zone, weight, http.Length == 0 ? null : http, gateway.Length == 0 ? null : gateway)));
                    break;
                case MembershipEventKind.Leave:
                    events.Add(MembershipEvent.Leave(lamport, origin, r.String(1024)));
                    break;
                case MembershipEventKind.Left:
                    events.Add(MembershipEvent.Left(lamport, origin, r.String(1024)));
                    break;
                case MembershipEventKind.Bucket:
                    events.Add(MembershipEvent.DefineBucket(lamport, origin, ReadBucket(ref r)));
                    break;
                default:
                    throw r.Fail($"has unknown event kind {(int)kind}");
            }
        }
        r.End();
        return new MembershipHistory(cluster, partitions, defaultBucket, events);
    }

    private static int SmallInt(ref FormatReader r)
    {
        ulong v = r.VarUInt();
        return v <= int.MaxValue ? (int)v : throw r.Fail("has a number out of range");
    }

    private static void WriteBucket(FormatWriter w, BucketSettings b)
    {
        w.String(b.Name);
        w.VarUInt((ulong)b.N);
        w.VarUInt((ulong)b.R);
        w.VarUInt((ulong)b.W);
        w.VarUInt((ulong)b.PR);
        w.VarUInt((ulong)b.PW);
        w.Byte((byte)b.Policy);
        w.VarUInt((ulong)b.MaxValueBytes);
    }

    private static BucketSettings ReadBucket(ref FormatReader r)
    {
        string name = r.String(1024);
        int n = SmallInt(ref r), rr = SmallInt(ref r), ww = SmallInt(ref r);
        int pr = SmallInt(ref r), pw = SmallInt(ref r);
        var policy = (ConflictPolicy)r.Byte();
        int max = SmallInt(ref r);
        return new BucketSettings(name, n, rr, ww, policy, max, pr, pw);
    }
}
