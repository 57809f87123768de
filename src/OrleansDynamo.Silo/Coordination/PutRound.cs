using OrleansDynamo.Core.Coordination;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>
/// The waiting side of one put: feeds the replicas' answers into the pure <see cref="PutCore"/> and completes
/// once the put is decided. The other replicas are written while the coordinator's own write commits, but the
/// core sees the same sequence as when the local write came first: the local ack once durable, then the other
/// answers in the order they arrived (those that came earlier wait here). So a put is answered, success or
/// quorum failure, only after the local write, with the same counts and reasons; a failed local write fails
/// the put, and the deadline ends the wait. Thread-safe: every event takes the round's lock.
/// </summary>
internal sealed class PutRound(PutCore core) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private List<(string Replica, string? Failure)>? _early;

    public PutCore Core { get; } = core;

    /// <summary>The coordinator's own write finished (durable, or failed with <see cref="LocalError"/>).</summary>
    public bool LocalDone { get; private set; }

    public Exception? LocalError { get; private set; }

    public bool TimedOut { get; private set; }

    public void OnAck(string replica) => OnAnswer(replica, null);

    public void OnFailure(string replica, string reason) => OnAnswer(replica, reason);

    private void OnAnswer(string replica, string? failure)
    {
        lock (this)
        {
            if (!LocalDone)
            {
                (_early ??= []).Add((replica, failure));
                return;
            }
            Apply(replica, failure);
            Check();
        }
    }

    /// <summary>The coordinator's own write is durable (<paramref name="error"/> null) or failed.</summary>
    public void OnLocal(string self, Exception? error)
    {
        lock (this)
        {
            if (LocalDone) return;
            LocalDone = true;
            LocalError = error;
            if (error is not null)
            {
                TrySetResult();
                return;
            }
            Core.OnAck(self);
            if (_early is { } early)
            {
                foreach (var (replica, failure) in early) Apply(replica, failure);
                _early = null;
            }
            Check();
        }
    }

    /// <summary>The deadline passed (or the caller gave up): decides now.</summary>
    public void OnTimeout()
    {
        lock (this)
        {
            TimedOut = true;
            Core.OnTimeout();
            TrySetResult();
        }
    }

    private void Apply(string replica, string? failure)
    {
        if (failure is null) Core.OnAck(replica);
        else Core.OnFailure(replica, failure);
    }

    private void Check()
    {
        if (Core.Decision != QuorumDecision.Pending) TrySetResult();
    }
}
