using System.Security.Cryptography;
using System.Text;

namespace OrleansDynamo.Protocol.Security;

/// <summary>
/// API keys, as the silo, the client SDK and the CLI share them: how a key is made and hashed (a silo's config holds
/// only the SHA-256), and how a call carries it — the gRPC metadata <c>authorization: Bearer KEY</c>, or for the SDK's
/// grain calls the Orleans request context entry <see cref="RequestContextKey"/>.
/// </summary>
public static class ApiKeys
{
    /// <summary>The gRPC metadata (and HTTP header) that carries the key.</summary>
    public const string Header = "authorization";

    /// <summary>The Orleans <c>RequestContext</c> entry that carries the key on a call of the client API grain.</summary>
    public const string RequestContextKey = "orleansdynamo.api-key";

    private const string BearerPrefix = "Bearer ";

    /// <summary>A new random key: 32 bytes from the system's cryptographic generator, base64url without padding (43 characters).</summary>
    public static string Generate() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The SHA-256 of the key's UTF-8 bytes, in lower-case hex: what a silo's config names a key by.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The header value for <paramref name="key"/>: <c>Bearer KEY</c>.</summary>
    public static string Bearer(string key) => BearerPrefix + key;

    /// <summary>The key of an <c>authorization</c> value (<c>Bearer KEY</c>, the scheme in any case); null when there is none.</summary>
    public static string? FromBearer(string? value)
    {
        if (value is null || !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase)) return null;
        var key = value[BearerPrefix.Length..].Trim();
        return key.Length == 0 ? null : key;
    }

    /// <summary>Null when <paramref name="key"/> can be sent in a header (printable ASCII, no spaces), else the reason.</summary>
    public static string? Check(string key)
    {
        if (key.Length == 0) return "an API key must not be empty";
        if (key.Any(c => c <= ' ' || c > '~')) return "an API key holds printable ASCII characters only, without spaces";
        return null;
    }
}
