namespace OrleansDynamo;

/// <summary>Kinds of failure a request can end in; mapped to gRPC status codes at the edge. Values are only ever appended.</summary>
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
    /// <summary>The caller gave no credential, or one the silo does not know (gRPC UNAUTHENTICATED).</summary>
    Unauthenticated = 6,
    /// <summary>The caller's credential does not allow this request, e.g. a data key on an admin verb (gRPC PERMISSION_DENIED).</summary>
    PermissionDenied = 7,
}

/// <summary>
/// A store request failed, with a message fit for the caller: the one exception type of the silo, the client SDK
/// and the CLI. It crosses grain calls between silos with its kind.
/// </summary>
public sealed class DynamoException(DynamoErrorKind kind, string message, Exception? inner = null) : Exception(message, inner)
{
    public DynamoErrorKind Kind { get; } = kind;

    /// <summary>The silo address the failure concerns, when the client knows it.</summary>
    public string? Endpoint { get; init; }

    /// <summary>
    /// Set by a silo-to-silo transport when the request certainly never reached its target (no connection, the target not
    /// a member, the link cut on the way there), so sending it elsewhere cannot apply it twice. Never crosses the wire:
    /// a failure the target itself answered with (a coordinator that missed its write quorum, after writing some
    /// replicas) arrives without it.
    /// </summary>
    public bool Undelivered { get; init; }

    public static DynamoException Invalid(string message) => new(DynamoErrorKind.InvalidArgument, message);

    public static DynamoException Unavailable(string message, Exception? inner = null) => new(DynamoErrorKind.Unavailable, message, inner);

    /// <summary>An <see cref="DynamoErrorKind.Unavailable"/> failure of a call that never reached its target (<see cref="Undelivered"/>).</summary>
    public static DynamoException NotDelivered(string message, Exception? inner = null) => new(DynamoErrorKind.Unavailable, message, inner) { Undelivered = true };
}
