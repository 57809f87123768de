using OrleansDynamo.Core.Ring;
using Xunit;
using Xunit.Abstractions;
using static OrleansDynamo.Core.Tests.Ring.RingTestData;

namespace OrleansDynamo.Core.Tests.Ring;

/// <summary>Prints the balance and movement table for Q = 1024 (the numbers in docs/ring.md).</summary>
public sealed class ClaimReportTests(ITestOutputHelper output)
{
    [Fact]
    public void Prints_balance_and_movement_table_for_Q_1024()
    {
        const int q = 1024;
        output.WriteLine("| S | min | max | moved on join (S+1) | ideal ceil(Q/(S+1)) | moved on leave | leaver owned | spread violations (created / after join / after leave / grown by joins from 3) |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        int worstJoinExcess = int.MinValue, worstLeaveExcess = int.MinValue;
        var grown = RingSnapshot.Create(Silos(3), q);
        for (int s = 3; s <= 64; s++)
        {
            if (s > 3) grown = grown.WithMembers(Silos(s));
            var silos = Silos(s + 1);
            var ring = RingSnapshot.Create(silos.Take(s), q);
            var (min, max) = MinMax(ring);
            var afterJoin = ring.WithMembers(silos);
            int joined = Moved(ring.Owners, afterJoin.Owners);
            int ideal = Ceil(q, s + 1);
            string leaver = Name(s / 2);
            int leaverOwned = ring.PartitionCounts()[leaver];
            var afterLeave = ring.WithMembers(silos.Take(s).Where(m => m.Name != leaver));
            int left = Moved(ring.Owners, afterLeave.Owners);
            string violations = $"{SpreadViolations(ring, 3)} / {SpreadViolations(afterJoin, 3)} / {SpreadViolations(afterLeave, 3)} / {SpreadViolations(grown, 3)}";
            worstJoinExcess = Math.Max(worstJoinExcess, joined - ideal);
            worstLeaveExcess = Math.Max(worstLeaveExcess, left - leaverOwned);
            output.WriteLine($"| {s} | {min} | {max} | {joined} | {ideal} | {left} | {leaverOwned} | {violations} |");

            Assert.True(max - min <= 1, $"S={s}: min {min}, max {max}");
            Assert.True(joined <= ideal + 2, $"S={s}: join moved {joined}, ideal {ideal}");
            Assert.True(left <= leaverOwned + 2, $"S={s}: leave moved {left}, leaver owned {leaverOwned}");
        }
        output.WriteLine($"worst join excess over ideal: {worstJoinExcess}; worst leave excess over leaver's share: {worstLeaveExcess}");
    }
}
