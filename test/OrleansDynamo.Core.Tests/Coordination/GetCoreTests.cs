using System.Text;
using FsCheck.Xunit;
using OrleansDynamo.Core.Coordination;
using OrleansDynamo.Core.Versioning;
using Xunit;

namespace OrleansDynamo.Core.Tests.Coordination;

public sealed class GetCoreTests
{
    private static readonly string[] Abc = ["a", "b", "c"];

    private static byte[] V(string s) => Encoding.UTF8.GetBytes(s);

    private static string Text(Sibling s) => Encoding.UTF8.GetString(s.Value);

    /// <summary>"1" written through a; then "2a" through a and "2b" through b, both with the context of "1".</summary>
    private static (SiblingSet First, SiblingSet OnA, SiblingSet OnB) ConcurrentHistory()
    {
        var first = SiblingSet.Empty.Update(VectorClock.Empty, "a", V("1"), false, 100);
        return (first,
            first.Update(first.Context, "a", V("2a"), false, 200),
            first.Update(first.Context, "b", V("2b"), false, 150));
    }

    [Fact]
    public void Returns_every_concurrent_sibling_from_different_replicas()
    {
        var (_, onA, onB) = ConcurrentHistory();
        var get = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        get.OnReply("a", onA);
        Assert.Equal(QuorumDecision.Pending, get.Decision);
        Assert.Throws<InvalidOperationException>(() => get.Result);
        get.OnReply("b", onB);
        Assert.Equal(QuorumDecision.Succeeded, get.Decision);
        var result = get.Result;
        Assert.True(result.Found);
        Assert.Equal(new[] { "2a", "2b" }, result.Siblings.Select(Text).Order());
        Assert.True(result.Context.Covers(new Dot("a", 2)) && result.Context.Covers(new Dot("b", 1)));
    }

    [Fact]
    public void Not_found_when_R_replicas_have_nothing_or_only_tombstones()
    {
        var get = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        get.OnReply("a", null);
        get.OnReply("b", null);
        Assert.Equal(QuorumDecision.Succeeded, get.Decision);
        Assert.False(get.Result.Found);
        Assert.True(get.Result.Merged.IsEmpty);

        var (first, _, _) = ConcurrentHistory();
        var deleted = first.Update(first.Context, "b", [], true, 300);
        var tomb = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        tomb.OnReply("a", null);
        tomb.OnReply("b", deleted);
        Assert.False(tomb.Result.Found);
        Assert.Empty(tomb.Result.Siblings);
        Assert.True(tomb.Result.Context.Covers(new Dot("b", 1)), "the context covers the tombstone");
    }

    [Fact]
    public void Read_repair_lists_exactly_the_stale_and_missing_replicas_including_late_ones()
    {
        var (first, onA, _) = ConcurrentHistory();
        var get = new GetCore(4, 1, ["a", "b", "c", "d"], ConflictPolicy.Siblings);
        get.OnReply("a", onA);
        Assert.Equal(QuorumDecision.Succeeded, get.Decision);
        get.OnReply("b", first);
        get.OnReply("c", null);
        get.OnFailure("d", "unreachable");
        Assert.True(get.IsComplete);
        var plan = get.RepairPlan();
        Assert.Equal(new[] { "b", "c" }, plan.Repairs.Select(r => r.Replica));
        Assert.All(plan.Repairs, r => Assert.Equal(onA, r.ToSend));
    }

    [Fact]
    public void Up_to_date_replicas_need_no_repair()
    {
        var (_, onA, _) = ConcurrentHistory();
        var get = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        foreach (var r in Abc) get.OnReply(r, onA);
        Assert.True(get.RepairPlan().IsEmpty);
        var none = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        foreach (var r in Abc) none.OnReply(r, null);
        Assert.True(none.RepairPlan().IsEmpty);
    }

    [Fact]
    public void Last_write_wins_keeps_the_newest_timestamp_and_repairs_replicas_holding_losers()
    {
        var (_, onA, onB) = ConcurrentHistory();
        var both = onA.Merge(onB);
        var get = new GetCore(3, 2, Abc, ConflictPolicy.LastWriteWins);
        get.OnReply("a", onB);
        get.OnReply("b", both);
        get.OnReply("c", onA);
        var winner = Assert.Single(get.Result.Siblings);
        Assert.Equal("2a", Text(winner));
        Assert.Equal(200, winner.TimestampMs);

        // a holds the loser, b holds both, c holds the winner but not b's dot in its context
        // (so a late copy of the loser could come back there): all three are repaired.
        var plan = get.RepairPlan();
        Assert.Equal(new[] { "a", "b", "c" }, plan.Repairs.Select(r => r.Replica));
        Assert.All(plan.Repairs, r => Assert.Equal(get.Result.Merged, r.ToSend));
        var resolved = onA.Merge(get.Result.Merged);
        Assert.Equal(get.Result.Merged, resolved);

        var settled = new GetCore(3, 2, Abc, ConflictPolicy.LastWriteWins);
        foreach (var r in Abc) settled.OnReply(r, resolved);
        Assert.True(settled.RepairPlan().IsEmpty);
    }

    [Fact]
    public void Failure_and_timeout_messages_name_the_replicas()
    {
        var get = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        get.OnReply("a", null);
        get.OnFailure("b", "connection refused");
        get.OnTimeout();
        Assert.Equal(QuorumDecision.Failed, get.Decision);
        Assert.Equal(
            "read quorum not reached before the timeout: 1 of 3 replicas answered (need R=2): answered [a]; failed [b: connection refused]; no answer [c]",
            get.FailureReason);

        var impossible = new GetCore(3, 2, Abc, ConflictPolicy.Siblings);
        impossible.OnFailure("a", "x");
        impossible.OnFailure("c", "y");
        Assert.Equal(QuorumDecision.Failed, impossible.Decision);
        Assert.StartsWith("read quorum not reached: 0 of 3", impossible.FailureReason);
    }

    [Fact]
    public void PR_needs_replies_from_primaries()
    {
        var primaries = new HashSet<string> { "a", "b" };
        var get = new GetCore(3, 2, ["a", "b", "fallback"], ConflictPolicy.Siblings, pr: 2, primaries: primaries);
        get.OnReply("a", null);
        get.OnReply("fallback", null);
        Assert.Equal(QuorumDecision.Pending, get.Decision);
        get.OnFailure("b", "down");
        Assert.Equal(QuorumDecision.Failed, get.Decision);
        Assert.StartsWith("primary read quorum not reached: 1 of 2 primaries answered (need PR=2)", get.FailureReason);

        var ok = new GetCore(3, 1, ["a", "b", "fallback"], ConflictPolicy.Siblings, pr: 2, primaries: primaries);
        ok.OnReply("a", null);
        ok.OnReply("b", null);
        Assert.Equal(QuorumDecision.Succeeded, ok.Decision);
    }

    /// <summary>
    /// Replicas with random histories (writes through random coordinators with contexts read from
    /// random replicas, tombstones, partial replication) answer in random order; some fail. The
    /// result is the merge of the replies, and applying the repair plan makes every replier equal
    /// to it; the plan names exactly the repliers that differed.
    /// </summary>
    [Property(MaxTest = 300)]
    public void Merge_and_read_repair_converge_every_replier(int seed, bool lww)
    {
        var rng = new Random(seed);
        var names = Enumerable.Range(0, rng.Next(1, 6)).Select(i => "s" + i).ToArray();
        var sets = names.ToDictionary(n => n, _ => SiblingSet.Empty);
        for (int op = rng.Next(0, 12); op > 0; op--)
        {
            string at = names[rng.Next(names.Length)];
            var context = sets[names[rng.Next(names.Length)]].Context;
            if (rng.Next(3) == 0) sets[at] = sets[at].Merge(sets[names[rng.Next(names.Length)]]);
            else sets[at] = sets[at].Update(context, at, V("v" + rng.Next(100)), rng.Next(5) == 0, rng.Next(1000));
        }

        var policy = lww ? ConflictPolicy.LastWriteWins : ConflictPolicy.Siblings;
        var get = new GetCore(names.Length, rng.Next(1, names.Length + 1), names, policy);
        var repliers = new List<string>();
        foreach (var name in names.OrderBy(_ => rng.Next()))
        {
            if (rng.Next(4) == 0) { get.OnFailure(name, "down"); continue; }
            get.OnReply(name, sets[name].IsEmpty ? null : sets[name]);
            repliers.Add(name);
        }

        var merged = repliers.Aggregate(SiblingSet.Empty, (acc, r) => acc.Merge(sets[r]));
        var target = lww ? merged.ResolveLastWriteWins() : merged;
        if (get.Decision == QuorumDecision.Succeeded)
        {
            Assert.Equal(target, get.Result.Merged);
            Assert.Equal(!target.IsDeleted, get.Result.Found);
        }
        else
        {
            Assert.True(repliers.Count < get.R, $"seed {seed}");
        }

        var plan = get.RepairPlan();
        var stale = names.Where(n => repliers.Contains(n) && !sets[n].Equals(target));
        Assert.Equal(stale, plan.Repairs.Select(p => p.Replica));
        foreach (var repair in plan.Repairs) sets[repair.Replica] = sets[repair.Replica].Merge(repair.ToSend);
        Assert.All(repliers, r => Assert.Equal(target, sets[r]));
    }
}
