using FsCheck.Xunit;
using OrleansDynamo.Core.Coordination;
using Xunit;

namespace OrleansDynamo.Core.Tests.Coordination;

public sealed class PutCoreTests
{
    private static readonly string[] Abc = ["a", "b", "c"];

    [Fact]
    public void Succeeds_exactly_at_W_acks()
    {
        var put = new PutCore(3, 2, Abc);
        put.OnAck("a");
        Assert.Equal(QuorumDecision.Pending, put.Decision);
        put.OnAck("b");
        Assert.Equal(QuorumDecision.Succeeded, put.Decision);
        Assert.Null(put.FailureReason);
        put.OnFailure("c", "disk full");
        put.OnTimeout();
        Assert.Equal(QuorumDecision.Succeeded, put.Decision);
    }

    [Fact]
    public void Fails_as_soon_as_W_is_impossible_and_names_every_replica()
    {
        var put = new PutCore(3, 3, Abc);
        put.OnAck("a");
        put.OnFailure("b", "connection refused");
        Assert.Equal(QuorumDecision.Failed, put.Decision);
        Assert.Equal(
            "write quorum not reached: 1 of 3 replicas acknowledged (need W=3): acked [a]; failed [b: connection refused]; no answer [c]",
            put.FailureReason);
        put.OnAck("c");
        Assert.Equal(QuorumDecision.Failed, put.Decision);
    }

    [Fact]
    public void Timeout_message_names_who_acked_failed_and_stayed_silent()
    {
        var put = new PutCore(3, 2, Abc);
        put.OnAck("a");
        put.OnFailure("b", "connection refused");
        Assert.Equal(QuorumDecision.Pending, put.Decision);
        put.OnTimeout();
        Assert.Equal(QuorumDecision.Failed, put.Decision);
        Assert.Equal(
            "write quorum not reached before the timeout: 1 of 3 replicas acknowledged (need W=2): acked [a]; failed [b: connection refused]; no answer [c]",
            put.FailureReason);
        put.OnAck("c");
        Assert.Equal(1, put.Acks);
    }

    [Fact]
    public void Repeated_answers_count_once_and_strangers_are_refused()
    {
        var put = new PutCore(3, 2, Abc);
        put.OnAck("a");
        put.OnAck("a");
        put.OnFailure("a", "late");
        Assert.Equal(1, put.Acks);
        Assert.Equal(QuorumDecision.Pending, put.Decision);
        Assert.Throws<ArgumentException>(() => put.OnAck("z"));
    }

    [Fact]
    public void Too_few_replicas_fail_at_once()
    {
        var put = new PutCore(3, 2, ["a"]);
        Assert.Equal(QuorumDecision.Failed, put.Decision);
        Assert.Contains("no answer [a]", put.FailureReason);
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PutCore(3, 0, Abc));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PutCore(3, 4, Abc));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PutCore(3, 2, Abc, pw: 4, primaries: new HashSet<string>()));
        Assert.Throws<ArgumentException>(() => new PutCore(3, 2, Abc, pw: 1));
        Assert.Throws<ArgumentException>(() => new PutCore(3, 2, ["a", "a"]));
    }

    [Fact]
    public void PW_needs_acks_from_primaries_not_just_from_fallbacks()
    {
        var primaries = new HashSet<string> { "a", "b" };
        var put = new PutCore(3, 2, ["a", "b", "fallback"], pw: 2, primaries: primaries);
        put.OnAck("a");
        put.OnAck("fallback");
        Assert.Equal(QuorumDecision.Pending, put.Decision);
        put.OnAck("b");
        Assert.Equal(QuorumDecision.Succeeded, put.Decision);

        var failing = new PutCore(3, 2, ["a", "b", "fallback"], pw: 2, primaries: primaries);
        failing.OnAck("a");
        failing.OnAck("fallback");
        failing.OnFailure("b", "timeout");
        Assert.Equal(QuorumDecision.Failed, failing.Decision);
        Assert.Equal(
            "primary write quorum not reached: 1 of 2 primaries acknowledged (need PW=2): acked [a, fallback]; failed [b: timeout]; no answer []",
            failing.FailureReason);
    }

    /// <summary>Random answers in random order, with a timeout at a random point, against a plain model.</summary>
    [Property(MaxTest = 500)]
    public void Decision_matches_the_quorum_model(int seed)
    {
        var rng = new Random(seed);
        int n = rng.Next(1, 6);
        int w = rng.Next(1, n + 1);
        int count = rng.Next(0, n + 2);
        var replicas = Enumerable.Range(0, count).Select(i => "r" + i).ToArray();
        var primaries = replicas.Where(_ => rng.Next(3) > 0).ToHashSet();
        int pw = rng.Next(0, Math.Min(n, w) + 1);
        var put = new PutCore(n, w, replicas, pw, primaries);
        int acks = 0, primaryAcks = 0, open = count, openPrimaries = primaries.Count;
        var expected = Decide(false);
        Assert.Equal(expected, put.Decision);
        int timeoutAt = rng.Next(0, count + 2);
        foreach (var (r, i) in replicas.OrderBy(_ => rng.Next()).Select((r, i) => (r, i)))
        {
            if (i == timeoutAt) break;
            bool ack = rng.Next(2) == 0;
            if (ack) put.OnAck(r); else put.OnFailure(r, "refused");
            open--;
            if (primaries.Contains(r)) openPrimaries--;
            if (ack) { acks++; if (primaries.Contains(r)) primaryAcks++; }
            expected = expected == QuorumDecision.Pending ? Decide(false) : expected;
            Assert.Equal(expected, put.Decision);
        }
        put.OnTimeout();
        expected = expected == QuorumDecision.Pending ? Decide(true) : expected;
        Assert.Equal(expected, put.Decision);
        Assert.Equal(expected == QuorumDecision.Failed, put.FailureReason is not null);
        if (put.FailureReason is not null) Assert.All(replicas, r => Assert.Contains(r, put.FailureReason));

        QuorumDecision Decide(bool timedOut) =>
            acks >= w && primaryAcks >= pw ? QuorumDecision.Succeeded
            : timedOut || acks + open < w || primaryAcks + openPrimaries < pw ? QuorumDecision.Failed
            : QuorumDecision.Pending;
    }
}
