using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Silo.Security;

/// <summary>
/// Who may call the client API (gRPC and the SDK's grain), the dashboard's JSON API and its key lookup: API keys,
/// each with a name (logged with every admin action) and a role. Section <c>Silo:Auth</c>. With no key configured
/// every caller is served as today (the dev default: a silo on loopback); with one or more, every call must carry a
/// known key. The config holds each key's SHA-256 only (<c>dynamo apikey</c> prints a new key and its entry).
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Silo:Auth";

    /// <summary>The keys a caller may present. Empty (the default): no authentication.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// Host names (without port) the dashboard and JSON API answer to besides <c>Silo:Host</c> (and, on a loopback silo,
    /// <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c>); a request naming any other Host is refused (DNS rebinding).
    /// </summary>
    public List<string> HttpHosts { get; set; } = [];

    public bool Enabled => Keys.Count > 0;

    /// <summary>Every problem with these settings, each naming its field.</summary>
    public IEnumerable<string> Validate()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < Keys.Count; i++)
        {
            string field = $"{Section}:Keys:{i}";
            var key = Keys[i];
            if (key is null)
            {
                yield return $"{field} is empty";
                continue;
            }
            if (string.IsNullOrWhiteSpace(key.Name) || key.Name.Length > 128 || key.Name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                yield return $"{field}:Name must be 1-128 characters without spaces, got '{key.Name}'";
            else if (!names.Add(key.Name)) yield return $"{field}:Name '{key.Name}' is used by another key";
            if (ApiKeyOptions.ParseRole(key.Role) is null) yield return $"{field}:Role must be 'data' or 'admin', got '{key.Role}'";
            if (key.Sha256 is not { Length: 64 } hash || !hash.All(Uri.IsHexDigit))
                yield return $"{field}:Sha256 must be the key's SHA-256 as 64 hex digits (see `dynamo apikey`), not the key itself";
            else if (!hashes.Add(hash)) yield return $"{field}:Sha256 is the hash of another key too";
        }
        for (int i = 0; i < HttpHosts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(HttpHosts[i]) || HttpHosts[i].Any(c => c is ':' or '/' || char.IsWhiteSpace(c)))
                yield return $"{Section}:HttpHosts:{i} must be a host name without port or scheme, got '{HttpHosts[i]}'";
        }
    }
}

/// <summary>One API key: <see cref="Name"/> names its holder in the log, <see cref="Role"/> is data or admin, <see cref="Sha256"/> its hash in hex.</summary>
public sealed class ApiKeyOptions
{
    public string Name { get; set; } = "";

    /// <summary><c>data</c>: get, put, delete, ring, status and the dashboard's views. <c>admin</c>: everything.</summary>
    public string Role { get; set; } = "";

    /// <summary>The SHA-256 of the key's UTF-8 bytes, 64 hex digits (<see cref="ApiKeys.Hash"/>).</summary>
    public string Sha256 { get; set; } = "";

    public static ApiRole? ParseRole(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "data" => ApiRole.Data,
        "admin" => ApiRole.Admin,
        _ => null,
    };
}
