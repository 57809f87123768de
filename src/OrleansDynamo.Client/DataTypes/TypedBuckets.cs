using System.Collections.Immutable;
using OrleansDynamo.Core.DataTypes;

namespace OrleansDynamo.Client.DataTypes;

/// <summary>The counters of a typed bucket: <c>client.Counters("likes").IncrementAsync("post-1")</c>.</summary>
public sealed class CounterBucket(DynamoClient client, string bucket)
{
    public string Bucket => bucket;

    /// <summary>Adds <paramref name="amount"/> (negative subtracts); answers the value at the coordinator after it.</summary>
    public Task<DataTypeResult> IncrementAsync(string key, long amount = 1, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        client.UpdateAsync(bucket, key, new CounterIncrement(amount), null, options, cancellationToken);

    public Task<DataTypeResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        client.FetchAsync(bucket, key, options, cancellationToken);
}

/// <summary>The sets of a typed bucket: <c>client.Sets("carts").AddAsync("alice", "book")</c>.</summary>
public sealed class SetBucket(DynamoClient client, string bucket)
{
    public string Bucket => bucket;

    public Task<DataTypeResult> AddAsync(string key, params string[] elements) => AddAsync(key, elements, null, default);

    /// <summary>Adds elements; an add survives every remove that did not see it.</summary>
    public Task<DataTypeResult> AddAsync(string key, IEnumerable<string> elements, PutOptions? options, CancellationToken cancellationToken = default) =>
        client.UpdateAsync(bucket, key, new SetAdd([.. elements]), null, options, cancellationToken);

    /// <summary>
    /// Removes elements as <paramref name="context"/> (from a get) saw them: an add the client did not see stays. Without a
    /// context, what the coordinator has seen is removed.
    /// </summary>
    public Task<DataTypeResult> RemoveAsync(string key, IEnumerable<string> elements, DynamoContext? context = null, PutOptions? options = null,
        CancellationToken cancellationToken = default) =>
        client.UpdateAsync(bucket, key, new SetRemove([.. elements]), context, options, cancellationToken);

    /// <summary>The members and the context to remove with.</summary>
    public Task<DataTypeResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        client.FetchAsync(bucket, key, options, cancellationToken);

    /// <summary>Removes every member <paramref name="context"/> saw (adds it did not see stay).</summary>
    public Task<DataTypeResult> DeleteAsync(string key, DynamoContext? context = null, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        client.UpdateAsync(bucket, key, null, context, options, cancellationToken);
}

/// <summary>The maps of a typed bucket: fields that are counters, sets, registers, flags or nested maps.</summary>
public sealed class MapBucket(DynamoClient client, string bucket)
{
    public string Bucket => bucket;

    /// <summary>Applies field operations in order, all or none (build them with <see cref="MapOps"/>); removes drop what <paramref name="context"/> saw.</summary>
    public Task<DataTypeResult> UpdateAsync(string key, IEnumerable<MapFieldOperation> fields, DynamoContext? context = null, PutOptions? options = null,
        CancellationToken cancellationToken = default) =>
        client.UpdateAsync(bucket, key, new MapUpdate([.. fields]), context, options, cancellationToken);

    public Task<DataTypeResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default) =>
        client.FetchAsync(bucket, key, options, cancellationToken);

    /// <summary>Removes every field <paramref name="context"/> saw (updates it did not see stay).</summary>
    public Task<DataTypeResult> DeleteAsync(string key, DynamoContext? context = null, PutOptions? options = null, CancellationToken cancellationToken = default) =>
        client.UpdateAsync(bucket, key, null, context, options, cancellationToken);
}

/// <summary>The field operations of a map update.</summary>
public static class MapOps
{
    public static MapFieldOperation Increment(string field, long amount = 1) => new FieldUpdate(new(field, DataTypeKind.Counter), new CounterIncrement(amount));

    public static MapFieldOperation Add(string field, params string[] elements) => new FieldUpdate(new(field, DataTypeKind.Set), new SetAdd([.. elements]));

    public static MapFieldOperation RemoveElements(string field, params string[] elements) => new FieldUpdate(new(field, DataTypeKind.Set), new SetRemove([.. elements]));

    public static MapFieldOperation Assign(string field, byte[] value) => new FieldUpdate(new(field, DataTypeKind.Register), new RegisterAssign(value));

    public static MapFieldOperation Assign(string field, string value) => Assign(field, System.Text.Encoding.UTF8.GetBytes(value));

    public static MapFieldOperation Flag(string field, bool enable) => new FieldUpdate(new(field, DataTypeKind.Flag), new FlagUpdate(enable));

    public static MapFieldOperation Update(string field, params MapFieldOperation[] fields) =>
        new FieldUpdate(new(field, DataTypeKind.Map), new MapUpdate(ImmutableArray.Create(fields)));

    /// <summary>Removes a field (what the update's context saw of it).</summary>
    public static MapFieldOperation Remove(string field, DataTypeKind kind) => new FieldRemove(new(field, kind));
}
