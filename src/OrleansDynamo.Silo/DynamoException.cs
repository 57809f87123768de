using Orleans;

namespace OrleansDynamo.Silo;

/// <summary>Kinds of failure a request can end in. Mapped to gRPC status codes at the edge; values are only ever appended.</summary>
[GenerateSerializer]
public enum DynamoErrorKind
{
    /// <summary>Bad input: nothing was written.</summary>
    InvalidArgument = 0,
    /// <summary>An unknown bucket or silo.</summary>
    NotFound = 1,
    /// <summary>A quorum was not reached, or the target silo could not be called.</summary>
    Unavailable = 2,
    /// <summary>The request's deadline passed.</summary>
    Timeout = 3,
    /// <summary>The silo is not in a state to serve (another cluster, starting, leaving).</summary>
    FailedPrecondition = 4,
    Internal = 5,
}

/// <summary>A request failed with a message fit for the caller. Crosses grain calls with its kind.</summary>
[GenerateSerializer]
public sealed class DynamoException : Exception
{
    public DynamoException(DynamoErrorKind kind, string message, Exception? inner = null) : base(message, inner) => Kind = kind;

    [Id(0)]
    public DynamoErrorKind Kind { get; private set; }

    public static DynamoException Invalid(string message) => new(DynamoErrorKind.InvalidArgument, message);

    public static DynamoException Unavailable(string message, Exception? inner = null) => new(DynamoErrorKind.Unavailable, message, inner);
}
