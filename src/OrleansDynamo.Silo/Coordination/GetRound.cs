using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>
/// The waiting side of one get: feeds the replicas' replies into the pure <see cref="GetCore"/>, completes
/// once the get is decided, and tells the last reply (or failure) to arrive, after which read repair may
/// run. Thread-safe: every event takes the round's lock.
/// </summary>
internal sealed class GetRound(GetCore core, int reads) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private int _outstanding = reads;

    public GetCore Core { get; } = core;

    /// <summary>The replica whose answer arrived first.</summary>
    public string? Fastest { get; private set; }

    /// <summary>Records a reply; returns true when it was the last read to finish.</summary>
    public bool OnReply(string replica, SiblingSet? value)
    {
        lock (this)
        {
            Core.OnReply(replica, value);
            Fastest ??= replica;
            return Finish();
        }
    }

    /// <summary>Records a failed read; returns true when it was the last read to finish.</summary>
    public bool OnFailure(string replica, string reason)
    {
        lock (this)
        {
            Core.OnFailure(replica, reason);
            return Finish();
        }
    }

    /// <summary>The deadline passed: decides now.</summary>
    public void OnTimeout()
    {
        lock (this)
        {
            Core.OnTimeout();
            TrySetResult();
        }
    }

    /// <summary>The caller gave up: stops waiting without deciding (late replies still feed read repair).</summary>
    public void Abandon() => TrySetResult();

    private bool Finish()
    {
        if (Core.Decision != QuorumDecision.Pending) TrySetResult();
        return --_outstanding == 0;
    }
}
