using Google.Protobuf;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Membership;

namespace OrleansDynamo.Silo.Transport.Grpc;

/// <summary>
/// Every silo-to-silo method and its mapping. A feature adds its methods with <see cref="Add"/>
/// (from its own file) before the host maps them.
/// </summary>
public sealed class SiloWireMethods
{
    /// <summary>The gRPC service of silo-to-silo methods; <c>/{Service}/Batch</c> carries several calls in one request.</summary>
    public const string Service = "orleansdynamo.v1.Silo";

    private readonly Dictionary<Type, ISiloWireMethod> _methods = new();

    public IEnumerable<ISiloWireMethod> All => _methods.Values;

    public void Add(ISiloWireMethod method)
    {
        if (!_methods.TryAdd(method.RequestType, method))
            throw new InvalidOperationException($"{method.RequestType.Name} is mapped already");
    }

    public ISiloWireClient<TResponse> ClientFor<TResponse>(ISiloRequest<TResponse> request) =>
        _methods.TryGetValue(request.GetType(), out var m) && m is ISiloWireClient<TResponse> c
            ? c
            : throw new DynamoException(DynamoErrorKind.Internal, $"{request.GetType().Name} has no wire mapping");

    /// <summary>The methods of the core path: replica reads and writes, forwarding, gossip.</summary>
    public static SiloWireMethods CreateDefault()
    {
        var m = new SiloWireMethods();
        m.Add(new SiloWireMethod<ReplicaRead, ReplicaReadResult, ReplicaReadRequest, ReplicaReadResponse>("ReplicaRead",
            r => new ReplicaReadRequest { Key = Key(r.Partition, r.Key), FromSilo = r.FromSilo },
            p => new ReplicaRead((int)p.Key.Partition, new DynamoKey(p.Key.Bucket, p.Key.Key), p.FromSilo),
            r => r.Siblings is null ? new ReplicaReadResponse() : new ReplicaReadResponse { Found = true, SiblingSet = Set(r.Siblings) },
            p => new ReplicaReadResult(p.Found ? Set(p.SiblingSet) : null)));
        m.Add(new SiloWireMethod<ReplicaWrite, ReplicaWriteResult, ReplicaWriteRequest, ReplicaWriteResponse>("ReplicaWrite",
            r => new ReplicaWriteRequest
            {
                Key = Key(r.Partition, r.Key), SiblingSet = Set(r.Siblings), HintFor = r.HintFor ?? "", FromSilo = r.FromSilo,
                BucketPolicy = r.Policy == ConflictPolicy.LastWriteWins ? "last-write-wins" : "siblings",
            },
            p => new ReplicaWrite((int)p.Key.Partition, new DynamoKey(p.Key.Bucket, p.Key.Key), Set(p.SiblingSet),
                p.BucketPolicy == "last-write-wins" ? ConflictPolicy.LastWriteWins : ConflictPolicy.Siblings,
                p.HintFor.Length == 0 ? null : p.HintFor, p.FromSilo),
            r => new ReplicaWriteResponse { SiblingSet = Set(r.Stored) },
            p => new ReplicaWriteResult(Set(p.SiblingSet))));
        m.Add(new SiloWireMethod<GetCommand, GetOutcome, GetRequest, ForwardGetResponse>("ForwardGet",
            c => new GetRequest { Bucket = c.Bucket, Key = c.Key, R = (uint)c.R, Pr = (uint)c.PR, Hops = (uint)c.Hops },
            p => new GetCommand(p.Bucket, p.Key, (int)p.R, (int)p.Pr, (int)p.Hops),
            o => new ForwardGetResponse
            {
                Found = o.Found, SiblingSet = Set(SiblingSet.Create(o.Context, o.Siblings)),
                ReplicasAnswered = (uint)o.ReplicasAnswered, Coordinator = o.Coordinator,
            },
            p =>
            {
                var set = Set(p.SiblingSet);
                return new GetOutcome(p.Found, set.Siblings, set.Context, (int)p.ReplicasAnswered, p.Coordinator);
            }));
        m.Add(new SiloWireMethod<PutCommand, PutOutcome, PutRequest, PutResponse>("ForwardPut",
            c => new PutRequest
            {
                Bucket = c.Bucket, Key = c.Key, Value = ByteString.CopyFrom(c.Value), Context = c.Context ?? "",
                W = (uint)c.W, Pw = (uint)c.PW, Hops = (uint)c.Hops | (c.Delete ? 0x8000_0000u : 0),
            },
            p => new PutCommand(p.Bucket, p.Key, p.Value.ToByteArray(), p.Context, (p.Hops & 0x8000_0000u) != 0, (int)p.W, (int)p.Pw, (int)(p.Hops & 0x7FFF_FFFFu)),
            o => new PutResponse { Context = VersionCodec.EncodeContext(o.Context), ReplicasAcked = (uint)o.ReplicasAcked, Coordinator = o.Coordinator },
            p => new PutOutcome(VersionCodec.DecodeContext(p.Context), (int)p.ReplicasAcked, p.Coordinator)));
        m.Add(new SiloWireMethod<GossipRequest, GossipResponse, GossipRequestMessage, GossipResponseMessage>("Gossip",
            g => new GossipRequestMessage
            {
                ClusterName = g.ClusterName, SecretProof = g.SecretProof, FromSilo = g.FromSilo, FromAddress = g.FromAddress,
                Digest = Digest(g.Digest), History = g.History is null ? ByteString.Empty : ByteString.CopyFrom(g.History),
            },
            p => new GossipRequest(p.ClusterName, p.SecretProof, p.FromSilo, p.FromAddress, Digest(p.Digest), p.History.IsEmpty ? null : p.History.ToByteArray()),
            r => new GossipResponseMessage { Silo = r.Silo, Digest = Digest(r.Digest), History = r.History is null ? ByteString.Empty : ByteString.CopyFrom(r.History) },
            p => new GossipResponse(p.Silo, Digest(p.Digest), p.History.IsEmpty ? null : p.History.ToByteArray())));
        return m;
    }

    public static ReplicaKey Key(int partition, DynamoKey key) => new() { Partition = (uint)partition, Bucket = key.Bucket, Key = key.Key };

    public static ByteString Set(SiblingSet set) => UnsafeByteOperations.UnsafeWrap(VersionCodec.EncodeSiblingSet(set));

    public static SiblingSet Set(ByteString bytes)
    {
        try
        {
            return VersionCodec.DecodeSiblingSet(bytes.Span);
        }
        catch (VersionFormatException e)
        {
            throw DynamoException.Invalid("a sibling set on the wire does not decode: " + e.Message);
        }
    }

    private static HistoryDigestMessage Digest(HistoryDigest d) => new() { Count = (uint)d.Count, Hash = d.Hash };

    private static HistoryDigest Digest(HistoryDigestMessage? d) => d is null ? default : new HistoryDigest((int)d.Count, d.Hash);
}
