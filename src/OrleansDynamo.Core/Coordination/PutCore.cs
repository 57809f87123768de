using System.Collections.Immutable;

namespace OrleansDynamo.Core.Coordination;

/// <summary>
/// The write-quorum decision of one put (riak_kv_put_core), apart from the code that sends the
/// writes and waits. The coordinator's own local write counts as an ack like any other. Succeeds
/// once W replicas (and PW of them primaries) have acked; fails as soon as that can no longer
/// happen, or at the timeout. The decision never changes once made; acks after it are still counted.
/// </summary>
public sealed class PutCore
{
    private readonly ReplicaTally _tally;

    /// <param name="n">The bucket's replication factor.</param>
    /// <param name="w">Acks needed, 1..n.</param>
    /// <param name="replicas">The silos written to, coordinator included (distinct).</param>
    /// <param name="pw">Acks needed from primaries (0 = no requirement), 0..n.</param>
    /// <param name="primaries">Which replicas are primaries (the key's top-N preference list, not fallbacks); required when pw &gt; 0.</param>
    public PutCore(int n, int w, IReadOnlyList<string> replicas, int pw = 0, IReadOnlySet<string>? primaries = null)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "N must be at least 1");
        if (w < 1 || w > n) throw new ArgumentOutOfRangeException(nameof(w), w, $"W must be 1..N ({n})");
        if (pw < 0 || pw > n) throw new ArgumentOutOfRangeException(nameof(pw), pw, $"PW must be 0..N ({n})");
        if (pw > 0 && primaries is null) throw new ArgumentException("PW > 0 needs the set of primaries", nameof(primaries));
        N = n;
        W = w;
        PW = pw;
        _tally = new ReplicaTally(replicas, primaries);
        Decide();
    }

    public int N { get; }

    public int W { get; }

    public int PW { get; }

    public ImmutableArray<string> Replicas => _tally.Replicas;

    public QuorumDecision Decision { get; private set; }

    /// <summary>Why the put failed, naming who acked, who failed and who never answered; null unless <see cref="QuorumDecision.Failed"/>.</summary>
    public string? FailureReason { get; private set; }

    public int Acks => _tally.Answered;

    public int PrimaryAcks => _tally.AnsweredPrimaries;

    /// <summary>True when no more acks can arrive (all answered or failed, or timed out).</summary>
    public bool IsComplete => _tally.IsComplete;

    public void OnAck(string replica)
    {
        if (_tally.Answer(replica)) Decide();
    }

    public void OnFailure(string replica, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (_tally.Fail(replica, reason)) Decide();
    }

    /// <summary>The deadline passed: fails unless already decided; later answers are ignored.</summary>
    public void OnTimeout()
    {
        if (_tally.TimedOut) return;
        _tally.Timeout();
        Decide();
    }

    private void Decide()
    {
        if (Decision != QuorumDecision.Pending) return;
        string? failure = _tally.QuorumFailure(W, PW, "write", "acknowledged", "W", "acked", out bool met);
        if (met) Decision = QuorumDecision.Succeeded;
        else if (failure is not null) Fail(failure);
    }

    private void Fail(string reason)
    {
        Decision = QuorumDecision.Failed;
        FailureReason = reason;
    }
}
