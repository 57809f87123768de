using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Silo.Security;

/// <summary>
/// The one check of every client request, whichever way it came in (the gRPC service, the SDK's grain, the
/// dashboard's JSON API): the key it carries must be one of <see cref="AuthOptions.Keys"/> (compared by SHA-256 in
/// constant time), and its role must allow the verb. A missing or unknown key is
/// <see cref="DynamoErrorKind.Unauthenticated"/>, a data key on an admin verb <see cref="DynamoErrorKind.PermissionDenied"/>.
/// Every admin action allowed is logged with who asked for it (the key's name, or "anonymous" with authentication off) and what.
/// </summary>
public sealed class ApiAuthorizer
{
    private readonly (byte[] Hash, ApiCaller Caller)[] _keys;
    private readonly ILogger _log;

    public ApiAuthorizer(AuthOptions options, ILogger<ApiAuthorizer> log)
    {
        _keys = options.Keys.Select(k => (Convert.FromHexString(k.Sha256), new ApiCaller(k.Name, ApiKeyOptions.ParseRole(k.Role)!.Value))).ToArray();
        _log = log;
    }

    /// <summary>True when keys are configured: every request must carry one.</summary>
    public bool Enabled => _keys.Length > 0;

    /// <summary>
    /// The caller of a request for <paramref name="verb"/> carrying <paramref name="key"/> (null: none), if allowed;
    /// <paramref name="what"/> describes an admin action for the log.
    /// </summary>
    /// <exception cref="DynamoException">Unauthenticated or PermissionDenied, with a message naming the verb and the role it needs.</exception>
    public ApiCaller Authorize(string? key, ApiVerb verb, string? what = null)
    {
        var caller = Authenticate(key, verb);
        var needed = verb.RequiredRole();
        if (caller.Role < needed)
            throw new DynamoException(DynamoErrorKind.PermissionDenied,
                $"{verb.Describe()} needs the {Name(needed)} role; key '{caller.Name}' has the {Name(caller.Role)} role");
        if (needed == ApiRole.Admin)
            _log.LogInformation("Admin {Verb} by {Caller}: {What}", verb.Describe(), caller.Name, what ?? "");
        return caller;
    }

    private ApiCaller Authenticate(string? key, ApiVerb verb)
    {
        if (!Enabled) return ApiCaller.Anonymous;
        if (string.IsNullOrEmpty(key))
            throw new DynamoException(DynamoErrorKind.Unauthenticated,
                $"{verb.Describe()} needs an API key: this cluster requires one (--api-key, DYNAMO_API_KEY, or the '{ApiKeys.Header}: Bearer KEY' header)");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key), hash);
        ApiCaller? found = null;
        // Every configured hash is compared, each in constant time: the time taken says nothing of which one matched.
        foreach (var (known, caller) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(known, hash)) found = caller;
        }
        return found ?? throw new DynamoException(DynamoErrorKind.Unauthenticated, $"{verb.Describe()}: the API key is not known to this cluster");
    }

    private static string Name(ApiRole role) => role == ApiRole.Admin ? "admin" : "data";
}
