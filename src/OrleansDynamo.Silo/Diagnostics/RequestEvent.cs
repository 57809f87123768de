namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>Which side of a request an event was measured on.</summary>
public enum RequestSide
{
    /// <summary>The coordinator: from receiving the client's request to answering it.</summary>
    Coordinator,
    /// <summary>A replica: one ReplicaRead or ReplicaWrite handled for a coordinator.</summary>
    Replica,
}

/// <summary>
/// One finished request, as metrics and the dashboard see it. <paramref name="Operation"/> is
/// get, put or delete; <paramref name="Versions"/> the siblings a get returned (0 when not found).
/// </summary>
public readonly record struct RequestEvent(string Operation, RequestSide Side, TimeSpan Elapsed, DynamoErrorKind? Error, int Versions, int Partition);

/// <summary>Told of every finished request; must be cheap and thread-safe.</summary>
public interface IRequestObserver
{
    void OnRequest(in RequestEvent e);
}
