using System.Collections.Immutable;

namespace OrleansDynamo.Core.Coordination;

/// <summary>
/// Who has answered a quorum request: per replica outstanding, answered or failed (with why), and
/// how many of the answers came from primaries. Shared by <see cref="PutCore"/> and <see cref="GetCore"/>.
/// The first answer from a replica counts; later ones, and any after the timeout, are ignored.
/// </summary>
internal sealed class ReplicaTally
{
    private enum State { Outstanding, Answered, Failed }

    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);
    private Dictionary<string, string>? _reasons;
    private readonly IReadOnlySet<string> _primaries;

    public ReplicaTally(IReadOnlyList<string> replicas, IReadOnlySet<string>? primaries)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        foreach (var r in replicas)
        {
            ArgumentNullException.ThrowIfNull(r, nameof(replicas));
            if (!_states.TryAdd(r, State.Outstanding)) throw new ArgumentException($"replica {r} is listed twice", nameof(replicas));
        }
        Replicas = replicas.ToImmutableArray();
        _primaries = primaries ?? ImmutableHashSet<string>.Empty;
        Outstanding = Replicas.Length;
        foreach (var r in Replicas)
        {
            if (_primaries.Contains(r)) OutstandingPrimaries++;
        }
    }

    public ImmutableArray<string> Replicas { get; }

    public int Answered { get; private set; }

    public int AnsweredPrimaries { get; private set; }

    public int Outstanding { get; private set; }

    public int OutstandingPrimaries { get; private set; }

    public bool TimedOut { get; private set; }

    /// <summary>True when no more answers can arrive: all replicas answered or failed, or the timeout passed.</summary>
    public bool IsComplete => TimedOut || Outstanding == 0;

    public bool IsPrimary(string replica) => _primaries.Contains(replica);

    /// <summary>Records an answer; false when it is ignored (a repeat, or after the timeout).</summary>
    public bool Answer(string replica) => Settle(replica, State.Answered, null);

    public bool Fail(string replica, string reason) => Settle(replica, State.Failed, reason);

    public void Timeout() => TimedOut = true;

    public IEnumerable<string> AnsweredReplicas => Replicas.Where(HasAnswered);

    public bool HasAnswered(string replica) => _states.TryGetValue(replica, out var state) && state == State.Answered;

    /// <summary>"acked [a]; failed [b: refused]; no answer [c]" with <paramref name="answeredLabel"/> for the first list.</summary>
    public string Describe(string answeredLabel)
    {
        string Names(State s) => string.Join(", ", Replicas.Where(r => _states[r] == s)
            .Select(r => s == State.Failed ? $"{r}: {_reasons![r]}" : r));
        return $"{answeredLabel} [{Names(State.Answered)}]; failed [{Names(State.Failed)}]; no answer [{Names(State.Outstanding)}]";
    }

    private bool Settle(string replica, State state, string? reason)
    {
        ArgumentNullException.ThrowIfNull(replica);
        if (!_states.TryGetValue(replica, out var current))
            throw new ArgumentException($"replica {replica} was not asked", nameof(replica));
        if (current != State.Outstanding || TimedOut) return false;
        _states[replica] = state;
        if (reason is not null) (_reasons ??= new Dictionary<string, string>(StringComparer.Ordinal))[replica] = reason;
        Outstanding--;
        bool primary = _primaries.Contains(replica);
        if (primary) OutstandingPrimaries--;
        if (state == State.Answered)
        {
            Answered++;
            if (primary) AnsweredPrimaries++;
        }
        return true;
    }

    /// <summary>
    /// The quorum decision shared by gets and puts: null while undecided or once met (see
    /// <paramref name="met"/>), else the failure reason naming who answered, who failed and who did not answer.
    /// </summary>
    /// <param name="need">R or W.</param>
    /// <param name="needPrimaries">PR or PW (0: none).</param>
    /// <param name="operation">"read" or "write".</param>
    /// <param name="answered">"answered" or "acknowledged".</param>
    /// <param name="label">"R" or "W"; the primary label is "P" + it.</param>
    /// <param name="describe">the word for answering replicas in the lists: "answered" or "acked".</param>
    public string? QuorumFailure(int need, int needPrimaries, string operation, string answered, string label, string describe, out bool met)
    {
        met = Answered >= need && AnsweredPrimaries >= needPrimaries;
        if (met) return null;
        int outstanding = TimedOut ? 0 : Outstanding;
        int outstandingPrimaries = TimedOut ? 0 : OutstandingPrimaries;
        string when = TimedOut ? " before the timeout" : "";
        if (Answered + outstanding < need)
            return $"{operation} quorum not reached{when}: {Answered} of {Replicas.Length} replicas {answered} (need {label}={need}): {Describe(describe)}";
        if (AnsweredPrimaries + outstandingPrimaries < needPrimaries)
        {
            int primaries = Replicas.Count(IsPrimary);
            return $"primary {operation} quorum not reached{when}: {AnsweredPrimaries} of {primaries} primaries {answered} (need P{label}={needPrimaries}): {Describe(describe)}";
        }
        return null;
    }
}
