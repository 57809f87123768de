using OrleansDynamo.Silo;
using OrleansDynamo.Silo.Membership;
using OrleansDynamo.Silo.Transport;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// Wraps a silo's real transport so a test can cut links: a call over a cut link fails as if the
/// network dropped it; a call whose way back is cut runs on the target but its answer is lost. Gossip to and from a
/// silo whose membership is held (<see cref="LinkTable.HoldMembership"/>) goes through without its histories.
/// </summary>
public sealed class CuttableTransport(string self, ISiloTransport inner, LinkTable links) : ISiloTransport, IAsyncDisposable
{
    /// <summary>The transport this one wraps (grain calls).</summary>
    public ISiloTransport Inner => inner;

    public async Task<TResponse> SendAsync<TResponse>(string target, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (links.IsCut(self, target)) throw DynamoException.NotDelivered($"{target}: link from {self} is cut");
        if (request is GossipRequest gossip && links.IsHeld(target)) request = (ISiloRequest<TResponse>)(object)(gossip with { History = null });
        var response = await inner.SendAsync(target, request, timeout, cancellationToken);
        if (links.IsCut(target, self)) throw DynamoException.Unavailable($"{target}: the answer to {self} was lost (link cut)");
        if (request is GossipRequest && response is GossipResponse answer && links.IsHeld(self)) response = (TResponse)(object)(answer with { History = null });
        return response;
    }

    public ValueTask DisposeAsync() => inner is IAsyncDisposable d ? d.DisposeAsync() : ValueTask.CompletedTask;
}
