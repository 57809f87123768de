using System.Collections.Concurrent;

namespace OrleansDynamo.Silo.Transport;

/// <summary>
/// The receiving side of silo-to-silo calls: each component registers a handler per request type;
/// every transport delivers into this.
/// </summary>
public sealed class SiloRequestDispatcher
{
    private readonly ConcurrentDictionary<Type, Delegate> _handlers = new();

    public void Register<TRequest, TResponse>(Func<TRequest, CancellationToken, Task<TResponse>> handler)
        where TRequest : ISiloRequest<TResponse>
    {
        Func<object, CancellationToken, Task<TResponse>> erased = (request, ct) => handler((TRequest)request, ct);
        if (!_handlers.TryAdd(typeof(TRequest), erased))
            throw new InvalidOperationException($"a handler for {typeof(TRequest).Name} is registered already");
    }

    public Task<TResponse> DispatchAsync<TResponse>(ISiloRequest<TResponse> request, CancellationToken cancellationToken)
    {
        if (!_handlers.TryGetValue(request.GetType(), out var handler))
            throw new DynamoException(DynamoErrorKind.Internal, $"no handler for {request.GetType().Name}");
        return ((Func<object, CancellationToken, Task<TResponse>>)handler)(request, cancellationToken);
    }
}
