namespace OrleansDynamo.Silo;

/// <summary>Kinds of failure a request can end in. Mapped to gRPC status codes at the edge.</summary>
public enum DynamoErrorKind
{
    /// <summary>Bad input: nothing was written.</summary>
    InvalidArgument,
    /// <summary>An unknown bucket or silo.</summary>
    NotFound,
    /// <summary>A quorum was not reached, or the target silo could not be called.</summary>
    Unavailable,
    /// <summary>The request's deadline passed.</summary>
    Timeout,
    /// <summary>The silo is not in a state to serve (another cluster, starting, leaving).</summary>
    FailedPrecondition,
    Internal,
}

/// <summary>A request failed with a message fit for the caller.</summary>
public sealed class DynamoException(DynamoErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public DynamoErrorKind Kind { get; } = kind;

    public static DynamoException Invalid(string message) => new(DynamoErrorKind.InvalidArgument, message);

    public static DynamoException Unavailable(string message, Exception? inner = null) => new(DynamoErrorKind.Unavailable, message, inner);
}
