using System.CommandLine;

namespace OrleansDynamo.Cli;

/// <summary>Options every verb accepts (they are recursive: valid after any verb).</summary>
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
        DefaultValueFactory = _ => [Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } fromEnv ? fromEnv : DevSilo],
    };

    /// <summary>Print machine-readable JSON instead of text.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print JSON instead of text",
        Recursive = true,
    };

    /// <summary>The endpoints given, split on commas and normalized to absolute http(s) addresses.</summary>
    /// <exception cref="ArgumentException">An address is not usable; the message names it.</exception>
    public static IReadOnlyList<string> GetEndpoints(ParseResult parseResult)
    {
        var raw = parseResult.GetValue(Endpoint) ?? [DevSilo];
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
}
