using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using Spectre.Console;

namespace OrleansDynamo.Cli;

/// <summary>What a verb works with: the console, the endpoints, the output mode and a client built on first use.</summary>
public sealed class CommandContext : IAsyncDisposable
{
    private DynamoClient? _client;

    private readonly (X509Certificate2? Certificate, X509Certificate2? Authority) _tls;

    private readonly string? _apiKey;

    private CommandContext(CliConsole io, IReadOnlyList<string> endpoints, bool json, (X509Certificate2?, X509Certificate2?) tls, string? apiKey)
    {
        Io = io;
        Endpoints = endpoints;
        Json = json;
        _tls = tls;
        _apiKey = apiKey;
    }

    /// <summary>Where the verb prints.</summary>
    public CliConsole Io { get; }

    /// <summary>stdout as text.</summary>
    public TextWriter Out => Io.Out;

    /// <summary>Tables and markup on stdout.</summary>
    public IAnsiConsole Ansi => Io.Ansi;

    /// <summary>The silo addresses from --endpoint.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>The first --endpoint: the silo single-silo verbs (status, repair, join) talk to.</summary>
    public string FirstEndpoint => Endpoints[0];

    /// <summary>True with --json.</summary>
    public bool Json { get; }

    /// <summary>A client seeded with the endpoints (lazy: the ring is fetched on first use).</summary>
    public DynamoClient Client => _client ??= new DynamoClient(new DynamoClientOptions
    {
        Seeds = Endpoints.ToList(),
        // One command, one short life: no periodic refresh.
        RingRefreshInterval = Timeout.InfiniteTimeSpan,
        ClientCertificate = _tls.Certificate,
        Authority = _tls.Authority,
        ApiKey = _apiKey,
    });

    public static CommandContext From(ParseResult parseResult, CliConsole io) =>
        new(io, GlobalOptions.GetEndpoints(parseResult), parseResult.GetValue(GlobalOptions.Json), GlobalOptions.GetTls(parseResult),
            GlobalOptions.GetApiKey(parseResult));

    /// <summary>
    /// Runs a verb's body with a context; every exception becomes exit code 2 and one line on stderr.
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parseResult, CliConsole io, CancellationToken cancellationToken,
        Func<CommandContext, CancellationToken, Task<int>> body)
    {
        try
        {
            await using var context = From(parseResult, io);
            return await body(context, cancellationToken);
        }
        catch (Exception e)
        {
            return ExitCodes.Fail(io, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
    }
}
