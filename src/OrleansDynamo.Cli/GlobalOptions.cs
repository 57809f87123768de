using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using OrleansDynamo.Protocol.Security;

namespace OrleansDynamo.Cli;

/// <summary>
/// Options every verb accepts (they are recursive: valid after any verb). The ones that fall back on an environment
/// variable have no default value of their own: their description names the fallback, and the getters here apply it
/// (so help prints the default once, and never the value of a secret from the environment).
/// </summary>
public static class GlobalOptions
{
    /// <summary>The dev silo's gRPC address: the default endpoint.</summary>
    public const string DevSilo = "http://127.0.0.1:11111";

    /// <summary>Environment variable that overrides the default endpoint (comma-separated addresses).</summary>
    public const string EndpointVariable = "DYNAMO_ENDPOINT";

    /// <summary>Silo gRPC addresses: repeat the option or separate with commas. host:port means http://host:port.</summary>
    public static readonly Option<string[]> Endpoint = new("--endpoint", "-e")
    {
        Description = $"Silo gRPC address(es), e.g. {DevSilo}; repeat or comma-separate for several (default: ${EndpointVariable} or {DevSilo})",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
    };

    /// <summary>Print machine-readable JSON instead of text.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON instead of text",
        Recursive = true,
    };

    /// <summary>Environment variables for the TLS files (used when the options are not given).</summary>
    public const string CertificateVariable = "DYNAMO_CERT", KeyVariable = "DYNAMO_KEY", AuthorityVariable = "DYNAMO_CA";

    /// <summary>For a TLS cluster: this client's certificate (PEM, or PKCS#12 with its key).</summary>
    public static readonly Option<string?> Certificate = new("--cert")
    {
        Description = $"Client certificate for a TLS cluster (PEM, with --key; default: ${CertificateVariable}); see `dynamo cert`",
        Recursive = true,
    };

    /// <summary>The PEM private key of --cert.</summary>
    public static readonly Option<string?> Key = new("--key")
    {
        Description = $"Private key of --cert (PEM; default: ${KeyVariable})",
        Recursive = true,
    };

    /// <summary>The cluster's authority: the only issuer of silo certificates the CLI trusts.</summary>
    public static readonly Option<string?> Authority = new("--ca")
    {
        Description = $"The cluster's authority certificate (PEM; default: ${AuthorityVariable})",
        Recursive = true,
    };

    /// <summary>Environment variable for the API key (used when --api-key is not given).</summary>
    public const string ApiKeyVariable = "DYNAMO_API_KEY";

    /// <summary>For a cluster with API keys (Silo:Auth): the key every call carries.</summary>
    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = $"API key for a cluster that requires one (default: ${ApiKeyVariable}); see `dynamo apikey`",
        Recursive = true,
    };

    /// <summary>The client certificate and authority given with --cert, --key and --ca, or (null, null) for plaintext.</summary>
    /// <exception cref="ArgumentException">Only some were given, or a file does not hold what it should.</exception>
    public static (X509Certificate2? Certificate, X509Certificate2? Authority) GetTls(ParseResult parseResult)
    {
        string? cert = ValueOrEnvironment(parseResult, Certificate, CertificateVariable), key = ValueOrEnvironment(parseResult, Key, KeyVariable),
            ca = ValueOrEnvironment(parseResult, Authority, AuthorityVariable);
        if (cert is null && ca is null)
        {
            if (key is not null) throw new ArgumentException("--key needs --cert");
            return (null, null);
        }
        if (cert is null || ca is null) throw new ArgumentException("a TLS cluster needs both --cert (with --key) and --ca");
        return (ClusterCertificates.LoadCertificate(cert, key), ClusterCertificates.LoadAuthority(ca));
    }

    /// <summary>--api-key, else $DYNAMO_API_KEY, else null.</summary>
    public static string? GetApiKey(ParseResult parseResult) => ValueOrEnvironment(parseResult, ApiKey, ApiKeyVariable);

    /// <summary>True when --endpoint was given on the command line (not taken from the environment or the default).</summary>
    public static bool EndpointGiven(ParseResult parseResult) => parseResult.GetValue(Endpoint) is { Length: > 0 };

    /// <summary>
    /// The endpoints given (else $DYNAMO_ENDPOINT, else the dev silo), split on commas and normalized to absolute
    /// http(s) addresses.
    /// </summary>
    /// <exception cref="ArgumentException">An address is not usable; the message names it.</exception>
    public static IReadOnlyList<string> GetEndpoints(ParseResult parseResult)
    {
        var raw = parseResult.GetValue(Endpoint) is { Length: > 0 } given ? given
            : [Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } fromEnv ? fromEnv : DevSilo];
        var result = new List<string>();
        foreach (var value in raw)
        {
            foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var address = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
                if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
                    throw new ArgumentException($"--endpoint: '{part}' is not a silo address such as {DevSilo}");
                address = address.TrimEnd('/');
                if (!result.Contains(address, StringComparer.OrdinalIgnoreCase)) result.Add(address);
            }
        }
        if (result.Count == 0) throw new ArgumentException($"--endpoint: give at least one silo address such as {DevSilo}");
        return result;
    }

    private static string? ValueOrEnvironment(ParseResult parseResult, Option<string?> option, string variable) =>
        parseResult.GetValue(option) ?? (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnv ? fromEnv : null);
}
