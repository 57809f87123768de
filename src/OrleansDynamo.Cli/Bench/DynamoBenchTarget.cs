using OrleansDynamo.Client;

namespace OrleansDynamo.Cli.Bench;

/// <summary>
/// Drives an OrleansDynamo cluster through the client SDK. A put carries the context this bench last saw for
/// the key (from its get or its previous put), as an application that reads before it writes would, so
/// versions diverge only when writes are truly concurrent; gets report how many siblings came back. With
/// <see cref="BenchSettings.ReadUnseen"/> a put of a key this process has neither read nor written yet reads it first
/// (timed with the put): the key may hold versions an earlier process wrote, and a put without their context would
/// add a sibling beside them. The preload always writes blind: its keys are taken to be new.
/// With <see cref="BenchCoordination.Both"/> even workers use a client-coordinated SDK instance and odd
/// workers a server-coordinated one, so both are measured under the same load.
/// </summary>
public sealed class DynamoBenchTarget : IBenchTarget
{
    private readonly BenchSettings _settings;
    private readonly DynamoClient[] _clients;
    private readonly string[] _lanes;
    private readonly DynamoContext[] _contexts;
    private readonly GetOptions? _getOptions;
    private readonly PutOptions? _putOptions;

    public DynamoBenchTarget(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        var modes = settings.Coordination switch
        {
            BenchCoordination.Server => new[] { CoordinationMode.Server },
            BenchCoordination.Both => new[] { CoordinationMode.Client, CoordinationMode.Server },
            BenchCoordination.ClientReads => new[] { CoordinationMode.ClientReads },
            _ => new[] { CoordinationMode.Client },
        };
        _clients = modes.Select(mode => new DynamoClient(new DynamoClientOptions
        {
            Seeds = settings.Endpoints.ToList(),
            Coordination = mode,
            RequestTimeout = settings.RequestTimeout,
            ClientCertificate = settings.Tls.Certificate,
            Authority = settings.Tls.Authority,
            ApiKey = settings.ApiKey,
        })).ToArray();
        _lanes = modes.Length == 1 ? [""] : modes.Select(m => m.ToString().ToLowerInvariant()).ToArray();
        // One context slot per key: 1,000,000 keys cost 8 MB.
        _contexts = new DynamoContext[checked((int)Math.Min(settings.Keys, int.MaxValue))];
        _getOptions = settings.R is { } r ? new GetOptions { R = r } : null;
        _putOptions = settings.W is { } w ? new PutOptions { W = w } : null;
    }

    public string Name => "dynamo";

    public IReadOnlyList<string> Lanes => _lanes;

    public int LaneOf(int worker) => worker % _clients.Length;

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        foreach (var client in _clients) await client.RefreshRingAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> GetAsync(int worker, long keyIndex, string key, CancellationToken cancellationToken)
    {
        var result = await _clients[LaneOf(worker)].GetAsync(_settings.Bucket, key, _getOptions, cancellationToken).ConfigureAwait(false);
        if (!result.Context.IsEmpty && keyIndex < _contexts.Length) _contexts[keyIndex] = result.Context;
        return result.Found ? result.Siblings.Count : 0;
    }

    public async Task PutAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        if (_settings.ReadUnseen && keyIndex < _contexts.Length && _contexts[keyIndex].IsEmpty)
            await GetAsync(worker, keyIndex, key, cancellationToken).ConfigureAwait(false);
        await WriteAsync(worker, keyIndex, key, value, cancellationToken).ConfigureAwait(false);
    }

    public Task PreloadAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken) =>
        WriteAsync(worker, keyIndex, key, value, cancellationToken);

    private async Task WriteAsync(int worker, long keyIndex, string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        DynamoContext? context = keyIndex < _contexts.Length && !_contexts[keyIndex].IsEmpty ? _contexts[keyIndex] : null;
        var written = await _clients[LaneOf(worker)].PutAsync(_settings.Bucket, key, value, context, _putOptions, cancellationToken).ConfigureAwait(false);
        if (keyIndex < _contexts.Length) _contexts[keyIndex] = written;
    }

    public string ErrorKindOf(Exception exception) => exception switch
    {
        DynamoException d => d.Kind.ToString(),
        OperationCanceledException => "Cancelled",
        _ => exception.GetType().Name,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) await client.DisposeAsync().ConfigureAwait(false);
    }
}
