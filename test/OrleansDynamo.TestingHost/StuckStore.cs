using OrleansDynamo.Storage;

namespace OrleansDynamo.TestingHost;

/// <summary>
/// Where a <see cref="StuckStore"/> holds its callers: open, everything passes; closed, each caller waits until it is
/// opened again or its own cancellation fires. Counts the callers waiting, so a test knows a request is held.
/// </summary>
public sealed class StoreGate
{
    private readonly object _lock = new();
    private TaskCompletionSource? _closed;
    private int _waiting;

    /// <summary>True while the gate holds its callers.</summary>
    public bool IsClosed
    {
        get { lock (_lock) return _closed is not null; }
    }

    /// <summary>Callers held at the gate now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public void Close()
    {
        lock (_lock) _closed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Open()
    {
        TaskCompletionSource? closed;
        lock (_lock) (closed, _closed) = (_closed, null);
        closed?.TrySetResult();
    }

    public async ValueTask PassAsync(CancellationToken cancellationToken)
    {
        Task? wait;
        lock (_lock) wait = _closed?.Task;
        if (wait is null) return;
        Interlocked.Increment(ref _waiting);
        try
        {
            await wait.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }
}

/// <summary>
/// A stuck disk for the store-wide reads: the summary of every partition (the dashboard's key counts) and the count of
/// hints waiting per target (status) wait at <paramref name="gate"/>. Key reads and writes pass straight through.
/// </summary>
public sealed class StuckStore(IPartitionStore inner, StoreGate gate) : DelegatingPartitionStore(inner)
{
    private readonly StuckHints _hints = new(inner.Hints, gate);

    public override IHintLog Hints => _hints;

    public override async ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default)
    {
        await gate.PassAsync(cancellationToken);
        return await Inner.SummarizeAllAsync(cancellationToken);
    }

    private sealed class StuckHints(IHintLog inner, StoreGate gate) : DelegatingHintLog(inner)
    {
        public override async ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default)
        {
            await gate.PassAsync(cancellationToken);
            return await Inner.CountByTargetAsync(cancellationToken);
        }
    }
}
