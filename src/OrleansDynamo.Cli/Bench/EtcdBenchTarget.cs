using System.Text;
using Google.Protobuf;
using OrleansDynamo.Protocol;
using OrleansDynamo.Protocol.Etcd;

namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// Drives an etcd v3 cluster through its gRPC KV API (<c>/etcdserverpb.KV/Put</c> and <c>/etcdserverpb.KV/Range</c>)
/// on our own call layer, so both stores are measured by one tool. Calls go round-robin over the endpoints, as
/// etcd's clientv3 balancer does; gets are linearizable (etcd's default) unless
/// <see cref="BenchSettings.EtcdSerializable"/> is set. A get returns one version or none.
/// </summary>
public sealed class EtcdBenchTarget : IBenchTarget
{
    /// <summary>etcd's KV service.</summary>
    public const string Service = "etcdserverpb.KV";

    private static readonly string[] s_lanes = [""];

    private readonly BenchSettings _settings;
    private readonly GrpcConnectionPool _pool;
    private readonly GrpcConnection[] _connections;
    private int _next;

    public EtcdBenchTarget(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _pool = new GrpcConnectionPool();
        _connections = settings.Endpoints.Select(e => _pool.Get(e)).ToArray();
    }

    public string Name => "etcd";

    public IReadOnlyList<string> Lanes => s_lanes;

    public int LaneOf(int worker) => 0;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // Every member must answer: a member that cannot would fail a share of the run's calls.
        foreach (var connection in _connections)
        {
            try
            {
                await connection.UnaryAsync(Service, "Range", new RangeRequest { Key = ByteString.CopyFromUtf8(_settings.KeyPrefix), Serializable = true },
                    RangeResponse.Parser, _settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw new InvalidOperationException($"etcd at {connection.Address} does not answer: {e.StatusCode} {e.Detail}", e);
            }
        }
    }

    public async Task<int> GetAsync(int worker, long keyIndex, string key, CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ToBytes(key), Serializable = _settings.EtcdSerializable };
        var response = await Next().UnaryAsync(Service, "Range", request, RangeResponse.Parser, _settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count;
    }

    public async Task PutAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var request = new PutRequest { Key = ToBytes(key), Value = UnsafeByteOperations.UnsafeWrap(value) };
        await Next().UnaryAsync(Service, "Put", request, PutResponse.Parser, _settings.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    public string ErrorKindOf(Exception exception) => exception switch
    {
        RpcException { StatusCode: StatusCode.DeadlineExceeded } => "Timeout",
        RpcException rpc => rpc.StatusCode.ToString(),
        OperationCanceledException => "Cancelled",
        _ => exception.GetType().Name,
    };

    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    private GrpcConnection Next() => _connections[(int)((uint)Interlocked.Increment(ref _next) % (uint)_connections.Length)];

    private static ByteString ToBytes(string key) => UnsafeByteOperations.UnsafeWrap(Encoding.UTF8.GetBytes(key));
}
