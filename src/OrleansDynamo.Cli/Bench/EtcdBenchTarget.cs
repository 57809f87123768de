using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OrleansDynamo.Protocol.Etcd;

namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// Drives an etcd v3 cluster through its gRPC KV API (<c>/etcdserverpb.KV/Put</c> and <c>/etcdserverpb.KV/Range</c>)
/// with the generated client (Grpc.Net.Client), so both stores are measured by one tool over the same gRPC stack.
/// Calls go round-robin over the endpoints, as etcd's clientv3 balancer does; gets are linearizable (etcd's default)
/// unless <see cref="BenchSettings.EtcdSerializable"/> is set. A get returns one version or none.
/// </summary>
public sealed class EtcdBenchTarget : IBenchTarget
{
    private static readonly string[] s_lanes = [""];

    private readonly BenchSettings _settings;
    private readonly GrpcChannel[] _channels;
    private readonly KV.KVClient[] _clients;
    private int _next;

    public EtcdBenchTarget(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _channels = settings.Endpoints.Select(e => GrpcChannel.ForAddress(e.Trim().TrimEnd('/'), new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                UseProxy = false,
                UseCookies = false,
                AllowAutoRedirect = false,
            },
            DisposeHttpClient = true,
        })).ToArray();
        _clients = _channels.Select(c => new KV.KVClient(c)).ToArray();
    }

    public string Name => "etcd";

    public IReadOnlyList<string> Lanes => s_lanes;

    public int LaneOf(int worker) => 0;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        // Every member must answer: a member that cannot would fail a share of the run's calls.
        for (int i = 0; i < _clients.Length; i++)
        {
            try
            {
                await _clients[i].RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(_settings.KeyPrefix), Serializable = true },
                    Options(cancellationToken));
            }
            catch (RpcException e)
            {
                string detail = e.Status.DebugException is { } local ? $"{e.Status.Detail} ({local.Message})" : e.Status.Detail;
                throw new InvalidOperationException($"etcd at {_channels[i].Target} does not answer: {e.StatusCode} {detail}", e);
            }
        }
    }

    public async Task<int> GetAsync(int worker, long keyIndex, string key, CancellationToken cancellationToken)
    {
        var request = new RangeRequest { Key = ToBytes(key), Serializable = _settings.EtcdSerializable };
        var response = await Next().RangeAsync(request, Options(cancellationToken)).ConfigureAwait(false);
        return response.Kvs.Count;
    }

    public async Task PutAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var request = new PutRequest { Key = ToBytes(key), Value = UnsafeByteOperations.UnsafeWrap(value) };
        await Next().PutAsync(request, Options(cancellationToken)).ConfigureAwait(false);
    }

    public string ErrorKindOf(Exception exception) => exception switch
    {
        RpcException { StatusCode: StatusCode.DeadlineExceeded } => "Timeout",
        RpcException rpc => rpc.StatusCode.ToString(),
        OperationCanceledException => "Cancelled",
        _ => exception.GetType().Name,
    };

    public ValueTask DisposeAsync()
    {
        foreach (var channel in _channels) channel.Dispose();
        return ValueTask.CompletedTask;
    }

    private CallOptions Options(CancellationToken cancellationToken) =>
        new(deadline: DateTime.UtcNow + _settings.RequestTimeout, cancellationToken: cancellationToken);

    private KV.KVClient Next() => _clients[(int)((uint)Interlocked.Increment(ref _next) % (uint)_clients.Length)];

    private static ByteString ToBytes(string key) => UnsafeByteOperations.UnsafeWrap(Encoding.UTF8.GetBytes(key));
}
