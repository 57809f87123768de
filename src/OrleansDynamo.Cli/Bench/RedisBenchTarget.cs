using StackExchange.Redis;

namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// Drives a Redis primary with replicas as the closest thing to a W=2 write on an in-memory store: every put is
/// <c>SET</c> followed by <c>WAIT n 0</c>-style acknowledgement from <see cref="BenchSettings.RedisReplicas"/> replicas
/// (pipelined on the worker's connection: one round trip), and a put that fewer replicas acknowledged within the
/// request timeout fails. Gets read the primary. <c>WAIT</c> blocks its connection, so each worker has its own
/// connection (StackExchange.Redis multiplexes one otherwise). The first endpoint is the primary
/// (<c>redis://127.0.0.1:6379</c>); the others are ignored.
/// </summary>
public sealed class RedisBenchTarget : IBenchTarget
{
    private static readonly string[] s_lanes = [""];

    private readonly BenchSettings _settings;
    private readonly ConnectionMultiplexer?[] _connections;
    private readonly string _primary;

    public RedisBenchTarget(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        var uri = new Uri(settings.Endpoints[0]);
        _primary = $"{uri.Host}:{(uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port)}";
        _connections = new ConnectionMultiplexer?[settings.Concurrency];
    }

    public string Name => "redis";

    public IReadOnlyList<string> Lanes => s_lanes;

    public int LaneOf(int worker) => 0;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { _primary },
            AbortOnConnectFail = true,
            ConnectTimeout = 5000,
            SyncTimeout = (int)_settings.RequestTimeout.TotalMilliseconds,
            AsyncTimeout = (int)_settings.RequestTimeout.TotalMilliseconds,
        };
        for (int i = 0; i < _connections.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                _connections[i] = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            }
            catch (RedisConnectionException e)
            {
                throw new InvalidOperationException($"redis at {_primary} does not answer: {e.Message}", e);
            }
        }
        var replicas = (RedisResult[]?)await Db(0).ExecuteAsync("ROLE").ConfigureAwait(false);
        if (replicas is null || (string?)replicas[0] != "master")
            throw new InvalidOperationException($"redis at {_primary} is not a primary (ROLE says {(replicas is null ? "nothing" : (string?)replicas[0])})");
        int connected = replicas.Length > 2 ? ((RedisResult[]?)replicas[2])?.Length ?? 0 : 0;
        if (connected < _settings.RedisReplicas)
            throw new InvalidOperationException($"redis at {_primary} has {connected} replica(s) connected; --redis-wait asks {_settings.RedisReplicas} to acknowledge each put");
    }

    public async Task<int> GetAsync(int worker, long keyIndex, string key, CancellationToken cancellationToken)
    {
        var value = await Db(worker).StringGetAsync(key).ConfigureAwait(false);
        return value.IsNull ? 0 : 1;
    }

    public async Task PutAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        var db = Db(worker);
        var set = db.StringSetAsync(key, value);
        if (_settings.RedisReplicas == 0)
        {
            await set.ConfigureAwait(false);
            return;
        }
        var wait = db.ExecuteAsync("WAIT", _settings.RedisReplicas, (long)_settings.RequestTimeout.TotalMilliseconds);
        await set.ConfigureAwait(false);
        long acknowledged = (long)await wait.ConfigureAwait(false);
        if (acknowledged < _settings.RedisReplicas)
            throw new RedisTimeoutException($"WAIT: {acknowledged} of {_settings.RedisReplicas} replicas acknowledged the write in time", CommandStatus.Sent);
    }

    public string ErrorKindOf(Exception exception) => exception switch
    {
        RedisTimeoutException => "Timeout",
        RedisConnectionException => "Unavailable",
        RedisServerException => "ServerError",
        OperationCanceledException => "Cancelled",
        _ => exception.GetType().Name,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private IDatabase Db(int worker) => (_connections[worker] ?? throw new InvalidOperationException("not connected")).GetDatabase();
}
