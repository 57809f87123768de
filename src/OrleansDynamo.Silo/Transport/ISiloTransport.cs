namespace OrleansDynamo.Silo.Transport;

/// <summary>Marker for a silo-to-silo request whose answer is a <typeparamref name="TResponse"/>.</summary>
public interface ISiloRequest<TResponse>;

/// <summary>
/// Sends requests to other silos by name. Implementations: <see cref="GrpcSiloTransport"/> (gRPC over
/// HTTP/2), <see cref="InMemoryNetwork"/> (one process, for tests, with cut links), and the
/// simulation's seeded network. A call that cannot reach its target throws
/// <see cref="DynamoException"/> with <see cref="DynamoErrorKind.Unavailable"/>.
/// </summary>
public interface ISiloTransport
{
    Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken);
}
