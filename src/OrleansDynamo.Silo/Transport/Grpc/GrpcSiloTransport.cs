using System.Collections.Concurrent;
using OrleansDynamo.Protocol;

namespace OrleansDynamo.Silo.Transport.Grpc;

/// <summary>
/// Calls other silos over gRPC (HTTP/2 cleartext), one pooled connection per silo address. A target
/// is a silo name (resolved through <paramref name="resolve"/>, i.e. the membership) or, for seeds,
/// an address. Calls to one silo go alone while few are in flight and are combined into batch
/// requests under load (<see cref="GrpcCallBatcher"/>, tuned by <paramref name="batching"/>).
/// </summary>
public sealed class GrpcSiloTransport(SiloWireMethods methods, Func<string, string?> resolve, GrpcBatchingOptions? batching = null)
    : IBatchingTransport, IAsyncDisposable
{
    private readonly GrpcConnectionPool _pool = new();
    private readonly GrpcBatchingOptions _batching = Validated(batching ?? new GrpcBatchingOptions());
    private readonly ConcurrentDictionary<string, GrpcCallBatcher> _batchers = new(StringComparer.Ordinal);

    /// <summary>Calls sent, batch requests sent, and calls that travelled inside a batch, summed over every silo called.</summary>
    public GrpcBatchingStats Counts => _batchers.Values.Aggregate(default(GrpcBatchingStats), (sum, b) => sum + b.Stats);

    public async Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string address = targetSilo.Contains("://", StringComparison.Ordinal)
            ? targetSilo
            : resolve(targetSilo) ?? throw DynamoException.Unavailable($"{targetSilo}: no address known for this silo");
        var client = methods.ClientFor(request);
        try
        {
            if (!_batchers.TryGetValue(address, out var batcher))
                batcher = _batchers.GetOrAdd(address, a => _pool.Get(a).Batcher(SiloWireMethods.Service, _batching));
            return await client.CallAsync(batcher, request, timeout, cancellationToken);
        }
        catch (RpcException e)
        {
            var error = GrpcErrors.FromRpc(e);
            // Name the silo in connection failures; keep other messages as the remote wrote them.
            throw error.Kind is DynamoErrorKind.Unavailable or DynamoErrorKind.Timeout && !e.Detail.StartsWith(targetSilo, StringComparison.Ordinal)
                ? new DynamoException(error.Kind, $"{targetSilo}: {e.Detail}", e)
                : error;
        }
    }

    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    private static GrpcBatchingOptions Validated(GrpcBatchingOptions options)
    {
        options.Validate();
        return options;
    }
}

/// <summary>A transport that combines calls into batch requests and counts how.</summary>
public interface IBatchingTransport : ISiloTransport
{
    /// <summary>Calls sent, batch requests sent, and calls that travelled inside a batch.</summary>
    GrpcBatchingStats Counts { get; }
}
