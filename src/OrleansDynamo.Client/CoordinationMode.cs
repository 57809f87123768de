namespace OrleansDynamo.Client;

/// <summary>Who picks the coordinator of a get or put (Dynamo §6.4).</summary>
public enum CoordinationMode
{
    /// <summary>
    /// The client caches the ring and sends each request straight to a silo in the key's
    /// preference list, which coordinates it: one network hop fewer (the paper's fastest option).
    /// </summary>
    Client = 0,

    /// <summary>The client sends each request to a random silo, which forwards it to a coordinator.</summary>
    Server = 1,

    /// <summary>
    /// As <see cref="Client"/> for writes; a get (and a typed bucket's fetch) is coordinated by the client itself: it
    /// asks the key's primaries for their own replicas and answers after R, merging their versions as a silo would. One
    /// round trip instead of two. A read alone in flight asks all N; under load a read asks R and the others only when
    /// one fails or is slow (<see cref="DynamoClientOptions.AllReplicaReadsBelow"/>,
    /// <see cref="DynamoClientOptions.ReadSpeculationDelay"/>). When the replicas that answered disagree, a get through a silo follows in the background and
    /// repairs them; when too few answer (a silo down, a ring that moved), the get goes through a silo instead.
    /// <see cref="GetResult.Coordinator"/> (and a fetch's coordinator) is empty for a read the client coordinated.
    /// </summary>
    ClientReads = 2,
}
