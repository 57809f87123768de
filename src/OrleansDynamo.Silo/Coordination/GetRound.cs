using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Silo.Coordination;

/// <summary>
/// The waiting side of one get: which replicas it asked and has yet to ask, their replies fed into the pure
/// <see cref="GetCore"/>; completes once the get is decided, and tells the last read to finish (after which read repair
/// may run): every replica asked has answered or failed, and no other will be asked. A replica that fails while the
/// get is undecided is replaced by the next one not yet asked. Thread-safe: every event takes the round's lock.
/// </summary>
internal sealed class GetRound(GetCore core, ReplicaTarget[] targets) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
{
    private int _asked;
    private int _pending;

    public GetCore Core { get; } = core;

    /// <summary>The replica whose answer arrived first.</summary>
    public string? Fastest { get; private set; }

    /// <summary>True while some replica has not been asked.</summary>
    public bool HasUnasked
    {
        get { lock (this) return _asked < targets.Length; }
    }

    /// <summary>
    /// Claims up to <paramref name="count"/> more replicas to ask, unless the get is decided: the caller asks
    /// <c>targets[from..to)</c>.
    /// </summary>
    public (ReplicaTarget[] Targets, int From, int To) Claim(int count)
    {
        lock (this)
        {
            if (Task.IsCompleted) return (targets, 0, 0);
            int from = _asked;
            int to = (int)Math.Min((long)from + count, targets.Length);
            _asked = to;
            _pending += to - from;
            return (targets, from, to);
        }
    }

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

    /// <summary>
    /// Records a failed read; returns true when it was the last read to finish. While the get is undecided and a
    /// replica is waiting to be asked, <paramref name="next"/> is that replica, claimed in the failed one's place.
    /// </summary>
    public bool OnFailure(string replica, string reason, out ReplicaTarget? next)
    {
        lock (this)
        {
            Core.OnFailure(replica, reason);
            if (Core.Decision == QuorumDecision.Pending && !Task.IsCompleted && _asked < targets.Length)
            {
                next = targets[_asked++];
                return false;
            }
            next = null;
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
        // No replica is asked once the round has completed, so with none pending the reads are over.
        return --_pending == 0 && (Task.IsCompleted || _asked == targets.Length);
    }
}
