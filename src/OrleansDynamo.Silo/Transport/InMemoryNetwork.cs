using System.Collections.Concurrent;

namespace OrleansDynamo.Silo.Transport;

/// <summary>
/// A network inside one process: silos attach their dispatcher under their name; links can be cut
/// one way or both, and a detached silo is unreachable. Requests cross with a yield, so callers
/// never run the callee's code on their own stack.
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<string, SiloRequestDispatcher> _silos = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string From, string To), bool> _cuts = new();

    public void Attach(string silo, SiloRequestDispatcher dispatcher) => _silos[silo] = dispatcher;

    public void Detach(string silo) => _silos.TryRemove(silo, out _);

    /// <summary>Cuts the link from <paramref name="from"/> to <paramref name="to"/>; both ways unless <paramref name="oneWay"/>.</summary>
    public void Cut(string from, string to, bool oneWay = false)
    {
        _cuts[(from, to)] = true;
        if (!oneWay) _cuts[(to, from)] = true;
    }

    public void Heal(string from, string to, bool oneWay = false)
    {
        _cuts.TryRemove((from, to), out _);
        if (!oneWay) _cuts.TryRemove((to, from), out _);
    }

    public void HealAll() => _cuts.Clear();

    public bool IsCut(string from, string to) => _cuts.ContainsKey((from, to));

    /// <summary>The transport one silo uses to call the others.</summary>
    public ISiloTransport TransportFor(string silo) => new Endpoint(this, silo);

    private sealed class Endpoint(InMemoryNetwork network, string self) : ISiloTransport
    {
        public async Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (network.IsCut(self, targetSilo) || !network._silos.TryGetValue(targetSilo, out var dispatcher))
                throw DynamoException.Unavailable($"{targetSilo}: unreachable from {self}");
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            try
            {
                var response = await dispatcher.DispatchAsync(request, cts.Token).WaitAsync(cts.Token);
                if (network.IsCut(targetSilo, self))
                    throw DynamoException.Unavailable($"{targetSilo}: the answer was lost on the way back to {self}");
                return response;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DynamoException(DynamoErrorKind.Timeout, $"{targetSilo}: no answer within {timeout.TotalMilliseconds:0} ms");
            }
        }
    }
}
