using System.Text;
using Google.Protobuf;
using OrleansDynamo.Core.Buckets;
using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;
using OrleansDynamo.Protocol.Grpc;
using OrleansDynamo.Protocol.Limits;

namespace OrleansDynamo.Client;

/// <summary>Get, put and delete.</summary>
public sealed partial class DynamoClient
{
    /// <summary>The bucket the overloads without one use.</summary>
    public const string DefaultBucket = BucketSettings.DefaultName;

    /// <summary>Reads a key: every causally unrelated version and a context covering them all.</summary>
    /// <exception cref="DynamoException">Bad input, unknown bucket, or no read quorum.</exception>
    public async Task<GetResult> GetAsync(string bucket, string key, GetOptions? options = null, CancellationToken cancellationToken = default)
    {
        bucket = CheckKey(bucket, key);
        var request = new GetRequest { Bucket = bucket, Key = key };
        if (options is not null)
        {
            if (options.R is { } r) request.R = CheckQuorum(r, "R");
            if (options.PR is { } pr) request.Pr = pr;
        }
        if (_coordination == CoordinationMode.ClientReads && _state is { Ring: { } ring } state
            && await TryReadReplicasAsync(state, ring, bucket, key, options, cancellationToken).ConfigureAwait(false) is { } read)
        {
            return WireMapping.ToResult(read);
        }
        return WireMapping.ToResult(await SendToKeyAsync(bucket, key, s_get, request, static r => r.Coordinator, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reads a key of the <c>default</c> bucket.</summary>
    public Task<GetResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        GetAsync(DefaultBucket, key, options, cancellationToken);

    /// <summary>
    /// Writes a value. Pass the context of the get the value was derived from; without one the write is
    /// concurrent with what is stored and may become a sibling. The bytes are sent without a copy:
    /// do not change them until the task completes.
    /// </summary>
    /// <returns>The context of the new version.</returns>
    /// <exception cref="DynamoException">Bad input, unknown bucket, or no write quorum.</exception>
    public async Task<DynamoContext> PutAsync(string bucket, string key, ReadOnlyMemory<byte> value, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default) =>
        DynamoContext.FromWire((await SendPutAsync(bucket, key, value, context, options, cancellationToken).ConfigureAwait(false)).Context);

    /// <summary>
    /// <see cref="PutAsync(string, string, ReadOnlyMemory{byte}, DynamoContext?, PutOptions?, CancellationToken)"/>, answering
    /// also how many replicas had taken the write and which silo coordinated it.
    /// </summary>
    /// <exception cref="DynamoException">Bad input, unknown bucket, or no write quorum.</exception>
    public async Task<PutResult> PutWithResultAsync(string bucket, string key, ReadOnlyMemory<byte> value, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default) =>
        WireMapping.ToResult(await SendPutAsync(bucket, key, value, context, options, cancellationToken).ConfigureAwait(false));

    private async Task<PutResponse> SendPutAsync(string bucket, string key, ReadOnlyMemory<byte> value, DynamoContext? context,
        PutOptions? options, CancellationToken cancellationToken)
    {
        bucket = CheckKey(bucket, key);
        var request = new PutRequest
        {
            Bucket = bucket,
            Key = key,
            Value = UnsafeByteOperations.UnsafeWrap(value),
            Context = context?.ToString() ?? string.Empty,
        };
        if (options is not null)
        {
            if (options.W is { } w) request.W = CheckQuorum(w, "W");
            if (options.PW is { } pw) request.Pw = pw;
            if (options.ContentType is { Length: > 0 } contentType)
                request.ContentType = ContentTypes.Check(contentType) is { } bad ? throw DynamoException.Invalid(bad) : contentType;
        }
        return await SendToKeyAsync(bucket, key, s_put, request, static r => r.Coordinator, cancellationToken, checkSize: true, context).ConfigureAwait(false);
    }

    /// <summary>Writes a value to a key of the <c>default</c> bucket.</summary>
    public Task<DynamoContext> PutAsync(string key, ReadOnlyMemory<byte> value, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutAsync(DefaultBucket, key, value, context, options, cancellationToken);

    /// <summary>Writes a string value, UTF-8 encoded.</summary>
    public Task<DynamoContext> PutAsync(string bucket, string key, string value, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return PutAsync(bucket, key, Encoding.UTF8.GetBytes(value), context, options, cancellationToken);
    }

    /// <summary>Writes a string value, UTF-8 encoded, to a key of the <c>default</c> bucket.</summary>
    public Task<DynamoContext> PutAsync(string key, string value, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default) =>
        PutAsync(DefaultBucket, key, value, context, options, cancellationToken);

    /// <summary>
    /// Deletes a key by writing a tombstone that supersedes the versions <paramref name="context"/> covers.
    /// </summary>
    /// <returns>The context of the tombstone.</returns>
    public async Task<DynamoContext> DeleteAsync(string bucket, string key, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default) =>
        DynamoContext.FromWire((await SendDeleteAsync(bucket, key, context, options, cancellationToken).ConfigureAwait(false)).Context);

    /// <summary>
    /// <see cref="DeleteAsync(string, string, DynamoContext?, PutOptions?, CancellationToken)"/>, answering also how many
    /// replicas had taken the tombstone and which silo coordinated it.
    /// </summary>
    public async Task<PutResult> DeleteWithResultAsync(string bucket, string key, DynamoContext? context = null,
        PutOptions? options = null, CancellationToken cancellationToken = default) =>
        WireMapping.ToResult(await SendDeleteAsync(bucket, key, context, options, cancellationToken).ConfigureAwait(false));

    private async Task<PutResponse> SendDeleteAsync(string bucket, string key, DynamoContext? context, PutOptions? options,
        CancellationToken cancellationToken)
    {
        bucket = CheckKey(bucket, key);
        var request = new DeleteRequest
        {
            Bucket = bucket,
            Key = key,
            Context = context?.ToString() ?? string.Empty,
        };
        if (options is not null)
        {
            if (options.W is { } w) request.W = CheckQuorum(w, "W");
            if (options.PW is { } pw) request.Pw = pw;
            RefuseContentType(options, "a delete carries no content type");
        }
        return await SendToKeyAsync(bucket, key, s_delete, request, static r => r.Coordinator, cancellationToken, checkSize: true, context).ConfigureAwait(false);
    }

    /// <summary>Deletes a key of the <c>default</c> bucket.</summary>
    public Task<DynamoContext> DeleteAsync(string key, DynamoContext? context = null, PutOptions? options = null,
        CancellationToken cancellationToken = default) =>
        DeleteAsync(DefaultBucket, key, context, options, cancellationToken);

    /// <summary>
    /// Sends a request about one key to its coordinator (in client mode a silo of its preference list; a write with a
    /// context may prefer the replica that answered that context's get first) and notes who coordinated it.
    /// </summary>
    private async Task<TResponse> SendToKeyAsync<TRequest, TResponse>(string bucket, string key, Method<TRequest, TResponse> method, TRequest request,
        Func<TResponse, string> coordinatorOf, CancellationToken cancellationToken, bool checkSize = false, DynamoContext? context = null)
        where TRequest : IMessage
    {
        var state = _state ?? await GetRoutedStateAsync(cancellationToken).ConfigureAwait(false);
        if (checkSize) CheckSize(state, request);
        Route(state, bucket, key, out int partition, out int n, out int start);
        var (response, silo) = await SendAsync(state, partition, n, start, method, request, cancellationToken, PreferredWriter(state, context))
            .ConfigureAwait(false);
        NoteCoordinator(coordinatorOf(response), silo);
        return response;
    }

    /// <summary>Checks bucket and key at the edge; returns the bucket name (empty means <c>default</c>).</summary>
    private static string CheckKey(string? bucket, string key)
    {
        if (string.IsNullOrEmpty(bucket))
        {
            bucket = DefaultBucket;
        }
        else if (!ReferenceEquals(bucket, DefaultBucket) && KeyValidation.CheckBucketName(bucket) is { } badBucket)
        {
            throw DynamoException.Invalid(badBucket);
        }
        if (KeyValidation.CheckKey(key) is { } badKey) throw DynamoException.Invalid(badKey);
        return bucket;
    }

    /// <summary>With <see cref="DynamoClientOptions.PreferFastestReplicaForWrites"/>: the silo index that answered the context's get first, else -1.</summary>
    private int PreferredWriter(Routing.RoutingState state, DynamoContext? context) =>
        _preferFastestForWrites && _coordination != CoordinationMode.Server && context?.FastestReplica is { } fastest && state.Ring is { } ring
            ? ring.IndexOf(fastest)
            : -1;

    /// <summary>
    /// Refuses a request larger than the silos accept (<see cref="ClusterRing.MaxRequestBytes"/>) before it is sent:
    /// a silo's gateway would close the connection on a message past its own limit, which reads as an unreachable silo.
    /// </summary>
    private static void CheckSize(Routing.RoutingState state, IMessage request)
    {
        if (state.Ring is not { MaxRequestBytes: > 0 } ring) return;
        int size = request.CalculateSize();
        if (size > ring.MaxRequestBytes)
            throw DynamoException.Invalid($"the request is {size} bytes; the silos accept at most {ring.MaxRequestBytes} bytes " +
                $"(Silo:Limits:MaxValueBytes, {ring.MaxRequestBytes - RequestSize.OverheadBytes} bytes of value, plus {RequestSize.OverheadBytes} bytes of key and context)");
    }

    /// <summary>A write that keeps no content type (a delete, a typed update) refuses one, rather than drop it unseen.</summary>
    private static void RefuseContentType(PutOptions options, string why)
    {
        if (options.ContentType is { Length: > 0 }) throw DynamoException.Invalid($"{why}; leave PutOptions.ContentType unset");
    }

    private static uint CheckQuorum(uint value, string name) =>
        value == 0 ? throw DynamoException.Invalid($"{name} must be at least 1") : value;

    /// <summary>
    /// In client mode the silo a request went to coordinates it when it is in the key's preference list;
    /// when another silo coordinated, the cached ring is probably stale.
    /// </summary>
    private void NoteCoordinator(string coordinator, string silo)
    {
        if (_coordination != CoordinationMode.Server && coordinator.Length != 0 && !string.Equals(coordinator, silo, StringComparison.Ordinal))
            RequestRefresh();
    }
}
