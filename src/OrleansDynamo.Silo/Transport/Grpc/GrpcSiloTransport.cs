using OrleansDynamo.Protocol;

namespace OrleansDynamo.Silo.Transport.Grpc;

/// <summary>
/// Calls other silos over gRPC (HTTP/2 cleartext), one pooled connection per silo address. A target
/// is a silo name (resolved through <paramref name="resolve"/>, i.e. the membership) or, for seeds,
/// an address.
/// </summary>
public sealed class GrpcSiloTransport(SiloWireMethods methods, Func<string, string?> resolve) : ISiloTransport, IAsyncDisposable
{
    private readonly GrpcConnectionPool _pool = new();

    public async Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string address = targetSilo.Contains("://", StringComparison.Ordinal)
            ? targetSilo
            : resolve(targetSilo) ?? throw DynamoException.Unavailable($"{targetSilo}: no address known for this silo");
        var client = methods.ClientFor(request);
        try
        {
            return await client.CallAsync(_pool.Get(address), request, timeout, cancellationToken);
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
}
