using OrleansDynamo.Client.DataTypes;
using OrleansDynamo.Core.DataTypes;
using OrleansDynamo.Protocol.DataTypes;
using OrleansDynamo.Protocol.Grpc;

namespace OrleansDynamo.Client;

/// <summary>Typed buckets (issue 19): counters, sets and maps, changed by operations and read with a context.</summary>
public sealed partial class DynamoClient
{
    /// <summary>The counters of a bucket created with type <c>counter</c>.</summary>
    public CounterBucket Counters(string bucket) => new(this, bucket);

    /// <summary>The sets of a bucket created with type <c>set</c>.</summary>
    public SetBucket Sets(string bucket) => new(this, bucket);

    /// <summary>The maps of a bucket created with type <c>map</c>.</summary>
    public MapBucket Maps(string bucket) => new(this, bucket);

    /// <summary>
    /// Sends an operation (null: delete what <paramref name="context"/> saw) to the key's coordinator; answers the
    /// coordinator's value after it.
    /// </summary>
    internal async Task<DataTypeResult> UpdateAsync(string bucket, string key, DataTypeOperation? operation, DynamoContext? context, PutOptions? options,
        CancellationToken cancellationToken)
    {
        bucket = CheckKey(bucket, key);
        var request = new UpdateRequest { Bucket = bucket, Key = key, Context = context?.ToString() ?? string.Empty };
        if (operation is not null) request.Op = DataTypeWire.ToWire(operation);
        if (options is not null)
        {
            if (options.W is { } w) request.W = CheckQuorum(w, "W");
            if (options.PW is { } pw) request.Pw = pw;
            RefuseContentType(options, "a typed bucket (counter, set, map) keeps no content type");
        }
        var response = await SendToKeyAsync(bucket, key, s_update, request, static r => r.Coordinator, cancellationToken, checkSize: true).ConfigureAwait(false);
        var value = DataValue.FromWire(response.Value);
        return new DataTypeResult(value.HasContent, value, DynamoContext.FromWire(response.Context), response.Coordinator, (int)response.ReplicasAcked);
    }

    /// <summary>Reads a typed key with a read quorum: its value and context, never siblings.</summary>
    internal async Task<DataTypeResult> FetchAsync(string bucket, string key, GetOptions? options, CancellationToken cancellationToken)
    {
        bucket = CheckKey(bucket, key);
        var request = new FetchRequest { Bucket = bucket, Key = key };
        if (options is not null)
        {
            if (options.R is { } r) request.R = CheckQuorum(r, "R");
            if (options.PR is { } pr) request.Pr = pr;
        }
        var response = _coordination == CoordinationMode.ClientReads && _state is { Ring: { } ring } state
            && await TryFetchReplicasAsync(state, ring, bucket, key, options, cancellationToken).ConfigureAwait(false) is { } read
            ? read
            : await SendToKeyAsync(bucket, key, s_fetch, request, static r => r.Coordinator, cancellationToken).ConfigureAwait(false);
        return new DataTypeResult(response.Found, DataValue.FromWire(response.Value), DynamoContext.FromWire(response.Context), response.Coordinator,
            (int)response.ReplicasAnswered);
    }

    private static readonly Method<UpdateRequest, UpdateResponse> s_update = static (a, r, c) => a.Update(r, c);
    private static readonly Method<FetchRequest, FetchResponse> s_fetch = static (a, r, c) => a.Fetch(r, c);
}
