namespace OrleansDynamo.Client;

/// <summary>Kinds of failure a request can end in (the same names the silo uses).</summary>
public enum DynamoErrorKind
{
    /// <summary>Bad input (empty key, value too large, undecodable context, R or W out of range): nothing was written.</summary>
    InvalidArgument = 0,
    /// <summary>An unknown bucket or silo.</summary>
    NotFound = 1,
    /// <summary>A quorum was not reached, or no silo could be called.</summary>
    Unavailable = 2,
    /// <summary>The call did not finish within <see cref="DynamoClientOptions.RequestTimeout"/>.</summary>
    Timeout = 3,
    /// <summary>The silo is not in a state to serve the request (another cluster, starting, leaving).</summary>
    FailedPrecondition = 4,
    /// <summary>A bug or an unexpected answer.</summary>
    Internal = 5,
}

/// <summary>A request failed; <see cref="Exception.Message"/> is the server's message (or the client's, for a local check).</summary>
public sealed class DynamoException : Exception
{
    public DynamoException(DynamoErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public DynamoErrorKind Kind { get; }

    /// <summary>The silo address the failing call went to, when one was called.</summary>
    public string? Endpoint { get; init; }

    internal static DynamoException Invalid(string message) => new(DynamoErrorKind.InvalidArgument, message);
}
