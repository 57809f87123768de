using System.Collections.Concurrent;

namespace OrleansDynamo.Protocol;

/// <summary>
/// One <see cref="GrpcConnection"/> per remote address, created on first use, for callers that talk to many silos.
/// Thread-safe. Disposing the pool disposes every connection.
/// </summary>
public sealed class GrpcConnectionPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, GrpcConnection> _connections = new(StringComparer.OrdinalIgnoreCase);
    private readonly GrpcConnectionOptions _options;
    private readonly TimeProvider _time;
    private volatile bool _disposed;

    /// <summary>Creates an empty pool; every connection gets <paramref name="options"/>.</summary>
    public GrpcConnectionPool(GrpcConnectionOptions? options = null, TimeProvider? timeProvider = null)
    {
        _options = options ?? new GrpcConnectionOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>How many connections the pool holds.</summary>
    public int Count => _connections.Count;

    /// <summary>The connection to <paramref name="address"/> (e.g. <c>http://127.0.0.1:5000</c>), created on first use.</summary>
    public GrpcConnection Get(string address)
    {
        ArgumentException.ThrowIfNullOrEmpty(address);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var key = address.TrimEnd('/');
        while (true)
        {
            if (_connections.TryGetValue(key, out var existing))
                return existing;
            var created = new GrpcConnection(new Uri(key, UriKind.Absolute), _options, _time);
            if (!_connections.TryAdd(key, created))
            {
                created.Dispose();
                continue;
            }
            if (_disposed && _connections.TryRemove(key, out var removed))
            {
                removed.Dispose();
                ObjectDisposedException.ThrowIf(true, this);
            }
            return created;
        }
    }

    /// <summary>The connection to <paramref name="address"/>, created on first use.</summary>
    public GrpcConnection Get(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Get(address.GetLeftPart(UriPartial.Authority));
    }

    /// <summary>Drops and disposes the connection to <paramref name="address"/>, e.g. for a silo that left.</summary>
    public bool Remove(string address)
    {
        if (!_connections.TryRemove(address.TrimEnd('/'), out var connection))
            return false;
        connection.Dispose();
        return true;
    }

    /// <summary>Disposes every connection; later <see cref="Get(string)"/> calls throw.</summary>
    public ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var key in _connections.Keys)
        {
            if (_connections.TryRemove(key, out var connection))
                connection.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
