using System.Collections.Concurrent;

namespace OrleansDynamo.Storage.Memory;

/// <summary>Named blobs of <see cref="InMemoryPartitionStore"/>, copied in and out.</summary>
internal sealed class InMemoryMetadataStore(Action throwIfDisposed) : IMetadataStore
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    public ValueTask<byte[]?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        Enter(cancellationToken);
        return new ValueTask<byte[]?>(_blobs.TryGetValue(name, out var blob) ? blob.ToArray() : null);
    }

    public ValueTask SetAsync(string name, byte[] value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        Enter(cancellationToken);
        _blobs[name] = value.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        Enter(cancellationToken);
        return new ValueTask<bool>(_blobs.TryRemove(name, out _));
    }

    private void Enter(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        throwIfDisposed();
    }
}
