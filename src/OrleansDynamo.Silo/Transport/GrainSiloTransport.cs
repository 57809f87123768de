using Orleans;
using Orleans.Runtime;
using OrleansDynamo.Silo.Grains;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Replicas;
using OrleansDynamo.Silo.Placement;

namespace OrleansDynamo.Silo.Transport;

/// <summary>
/// Silo-to-silo requests as Orleans grain calls: replica reads and writes to the partition replica grain on
/// the target silo, everything else to the target's endpoint grain. Each call is bounded by its timeout;
/// Orleans' failures map onto <see cref="DynamoErrorKind.Unavailable"/> and <see cref="DynamoErrorKind.Timeout"/>.
/// A target given as a silo's gRPC address (an operator's seed) is sent to the member the ring knows at that address.
/// A target that cluster membership does not list as active fails at once, without a message.
/// </summary>
public sealed class GrainSiloTransport(IGrainFactory grains, Func<string, string?> nameOfAddress, Func<string, bool> isActive) : ISiloTransport
{
    public async Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (targetSilo.Contains("://", StringComparison.Ordinal))
            targetSilo = nameOfAddress(targetSilo.TrimEnd('/')) ?? throw DynamoException.Unavailable($"{targetSilo}: no member of the ring known here has that address");
        if (!isActive(targetSilo)) throw DynamoException.Unavailable($"{targetSilo}: not an active member of the cluster");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            Task<TResponse> call = request switch
            {
                ReplicaWrite write => (Task<TResponse>)(object)grains.GetGrain<IPartitionReplicaGrain>(GrainKeys.Replica(write.Partition, targetSilo)).WriteAsync(write, deadline.Token),
                ReplicaRead read => (Task<TResponse>)(object)grains.GetGrain<IPartitionReplicaGrain>(GrainKeys.Replica(read.Partition, targetSilo)).ReadAsync(read, deadline.Token),
                _ => grains.GetGrain<ISiloGrain>(targetSilo).SendAsync(request, deadline.Token),
            };
            return await call.WaitAsync(deadline.Token);
        }
        catch (DynamoException)
        {
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DynamoException(DynamoErrorKind.Timeout, $"{targetSilo}: no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (TimeoutException e)
        {
            throw new DynamoException(DynamoErrorKind.Timeout, $"{targetSilo}: no answer within {timeout.TotalMilliseconds:0} ms", e);
        }
        catch (Exception e) when (e is OwnerUnavailableException or SiloUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException)
        {
            throw DynamoException.Unavailable($"{targetSilo}: unreachable ({e.Message})", e);
        }
    }
}
