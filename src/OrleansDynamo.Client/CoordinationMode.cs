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
}
