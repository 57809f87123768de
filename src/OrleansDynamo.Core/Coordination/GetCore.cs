using System.Collections.Immutable;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Core.Coordination;

/// <summary>
/// The read-quorum decision and read repair of one get (riak_kv_get_core), apart from the code that
/// asks the replicas and waits. A reply is a replica's sibling set, or null when it has no such key
/// (not found counts towards R). Succeeds once R replicas (and PR primaries) replied; the result is
/// the merge of every reply so far. After all replies or the final timeout, <see cref="RepairPlan"/>
/// names the replicas that replied with something older than the merge, late repliers included.
/// </summary>
public sealed class GetCore
{
    private readonly ReplicaTally _tally;
    private readonly Dictionary<string, SiblingSet> _replies = new(StringComparer.Ordinal);
    private SiblingSet _merged = SiblingSet.Empty;
    private GetResult? _result;

    /// <param name="n">The bucket's replication factor.</param>
    /// <param name="r">Replies needed, 1..n.</param>
    /// <param name="replicas">The silos asked (distinct).</param>
    /// <param name="policy">How the bucket reconciles concurrent versions.</param>
    /// <param name="pr">Replies needed from primaries (0 = no requirement), 0..n.</param>
    /// <param name="primaries">Which replicas are primaries; required when pr &gt; 0.</param>
    public GetCore(int n, int r, IReadOnlyList<string> replicas, ConflictPolicy policy, int pr = 0, IReadOnlySet<string>? primaries = null)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "N must be at least 1");
        if (r < 1 || r > n) throw new ArgumentOutOfRangeException(nameof(r), r, $"R must be 1..N ({n})");
        if (pr < 0 || pr > n) throw new ArgumentOutOfRangeException(nameof(pr), pr, $"PR must be 0..N ({n})");
        if (pr > 0 && primaries is null) throw new ArgumentException("PR > 0 needs the set of primaries", nameof(primaries));
        if (!Enum.IsDefined(policy)) throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown conflict policy");
        N = n;
        R = r;
        PR = pr;
        Policy = policy;
        _tally = new ReplicaTally(replicas, primaries);
        Decide();
    }

    public int N { get; }

    public int R { get; }

    public int PR { get; }

    public ConflictPolicy Policy { get; }

    public ImmutableArray<string> Replicas => _tally.Replicas;

    public QuorumDecision Decision { get; private set; }

    /// <summary>Why the get failed, naming who answered, who failed and who never did; null unless <see cref="QuorumDecision.Failed"/>.</summary>
    public string? FailureReason { get; private set; }

    public int Replies => _tally.Answered;

    /// <summary>True when no more replies can arrive: the moment to take the <see cref="RepairPlan"/>.</summary>
    public bool IsComplete => _tally.IsComplete;

    /// <summary>The reconciled value of every reply so far; only once <see cref="QuorumDecision.Succeeded"/>.</summary>
    public GetResult Result =>
        Decision == QuorumDecision.Succeeded
            ? _result ??= new GetResult(Reconciled())
            : throw new InvalidOperationException($"a get has a result only once it succeeded; it is {Decision}");

    /// <summary>A replica's reply; <paramref name="value"/> null means it has no such key.</summary>
    public void OnReply(string replica, SiblingSet? value)
    {
        if (!_tally.Answer(replica)) return;
        var set = value ?? SiblingSet.Empty;
        try
        {
            _merged = Policy.Merge(_merged, set);
        }
        catch (VersionFormatException)
        {
            // A typed bucket's replica holding something that is not a state of its type: counted as not found.
            set = SiblingSet.Empty;
        }
        _replies[replica] = set;
        _result = null;
        Decide();
    }

    public void OnFailure(string replica, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (_tally.Fail(replica, reason)) Decide();
    }

    /// <summary>The final deadline passed: fails unless already decided; later replies are ignored.</summary>
    public void OnTimeout()
    {
        if (_tally.TimedOut) return;
        _tally.Timeout();
        Decide();
    }

    /// <summary>
    /// Every replica that replied with a set not subsuming the reconciled one (stale, or missing the
    /// key), with that set to merge in. Failed or silent replicas get nothing. Take it once
    /// <see cref="IsComplete"/>; earlier it covers only the replies so far.
    /// </summary>
    public ReadRepairPlan RepairPlan()
    {
        if (_replies.Count == 0) return ReadRepairPlan.None;
        var target = Reconciled();
        ImmutableArray<ReadRepair>.Builder? repairs = null;
        foreach (var r in _tally.Replicas)
        {
            if (_tally.HasAnswered(r) && !Policy.Subsumes(_replies[r], target)) (repairs ??= ImmutableArray.CreateBuilder<ReadRepair>()).Add(new ReadRepair(r, target));
        }
        return repairs is null ? ReadRepairPlan.None : new ReadRepairPlan(repairs.ToImmutable());
    }

    private SiblingSet Reconciled() => Policy.Resolve(_merged);

    private void Decide()
    {
        if (Decision != QuorumDecision.Pending) return;
        string? failure = _tally.QuorumFailure(R, PR, "read", "answered", "R", "answered", out bool met);
        if (met) Decision = QuorumDecision.Succeeded;
        else if (failure is not null) Fail(failure);
    }

    private void Fail(string reason)
    {
        Decision = QuorumDecision.Failed;
        FailureReason = reason;
    }
}
