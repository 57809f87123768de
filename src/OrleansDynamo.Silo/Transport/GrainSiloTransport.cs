using System.Collections.Concurrent;
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
/// Grain references are made once per target and kept: Orleans' <c>GetGrain</c> names the grain interface by reflection
/// on every call (a type name formatted anew each time), which cost a silo a few per cent of its allocations under load.
/// </summary>
public sealed class GrainSiloTransport(IGrainFactory grains, Func<string, string?> nameOfAddress, Func<string, bool> isActive) : ISiloTransport
{
    /// <summary>References kept before the caches start over: Q partitions on every silo the cluster has had, bounded.</summary>
    private const int MaxReferences = 65_536;

    private readonly ConcurrentDictionary<(int Partition, string Silo), IPartitionReplicaGrain> _replicas = new();
    private readonly ConcurrentDictionary<string, ISiloGrain> _silos = new(StringComparer.Ordinal);

    private IPartitionReplicaGrain Replica(int partition, string silo)
    {
        if (_replicas.TryGetValue((partition, silo), out var grain)) return grain;
        if (_replicas.Count >= MaxReferences) _replicas.Clear();
        return _replicas[(partition, silo)] = grains.GetGrain<IPartitionReplicaGrain>(GrainKeys.Replica(partition, silo));
    }

    private ISiloGrain Silo(string silo)
    {
        if (_silos.TryGetValue(silo, out var grain)) return grain;
        if (_silos.Count >= MaxReferences) _silos.Clear();
        return _silos[silo] = grains.GetGrain<ISiloGrain>(silo);
    }

    public async Task<TResponse> SendAsync<TResponse>(string targetSilo, ISiloRequest<TResponse> request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (targetSilo.Contains("://", StringComparison.Ordinal))
            targetSilo = nameOfAddress(targetSilo.TrimEnd('/')) ?? throw DynamoException.NotDelivered($"{targetSilo}: no member of the ring known here has that address");
        if (!isActive(targetSilo)) throw DynamoException.NotDelivered($"{targetSilo}: not an active member of the cluster");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            Task<TResponse> call = request switch
            {
                ReplicaWrite write => (Task<TResponse>)(object)Replica(write.Partition, targetSilo).WriteAsync(write, deadline.Token),
                ReplicaRead read => (Task<TResponse>)(object)Replica(read.Partition, targetSilo).ReadAsync(read, deadline.Token),
                _ => Silo(targetSilo).SendAsync(request, deadline.Token),
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
        catch (Exception e) when (e is OwnerUnavailableException or OrleansMessageRejectionException or Orleans.Runtime.Messaging.ConnectionFailedException)
        {
            // Orleans refused or could not deliver the message: the target did not run it.
            throw DynamoException.NotDelivered($"{targetSilo}: unreachable ({e.Message})", e);
        }
        catch (SiloUnavailableException e)
        {
            // Also what a call still waiting gets when its target is declared dead: the target may have run it.
            throw DynamoException.Unavailable($"{targetSilo}: unreachable ({e.Message})", e);
        }
    }
}
