using OrleansDynamo.Core.Coordination;
using Xunit;

namespace OrleansDynamo.Core.Tests.Coordination;

/// <summary>The p99 a read's speculation waits by: none until a first batch is measured, then the latest reads'.</summary>
public sealed class RecentP99Tests
{
    [Fact]
    public void The_window_has_no_p99_until_it_is_filled_a_first_time_then_follows_the_latest_reads()
    {
        var window = new RecentP99();
        for (int i = 1; i < RecentP99.Every; i++) window.Record(TimeSpan.FromMilliseconds(i));
        Assert.Null(window.P99);
        window.Record(TimeSpan.FromMilliseconds(RecentP99.Every));
        // 128 reads of 1..128 ms: the 127th is the p99.
        Assert.Equal(TimeSpan.FromMilliseconds(127), window.P99);

        // A full window of 1 ms reads: with under 1 % of them at 50 ms the p99 is 1 ms, with 2 % it is 50 ms.
        for (int i = 0; i < RecentP99.Size; i++) window.Record(TimeSpan.FromMilliseconds(i % 128 == 0 ? 50 : 1));
        Assert.Equal(TimeSpan.FromMilliseconds(1), window.P99);
        for (int i = 0; i < RecentP99.Size; i++) window.Record(TimeSpan.FromMilliseconds(i % 50 == 0 ? 50 : 1));
        Assert.Equal(TimeSpan.FromMilliseconds(50), window.P99);

        // The oldest reads leave the window: after a full window of fast reads the slow ones no longer count.
        for (int i = 0; i < RecentP99.Size; i++) window.Record(TimeSpan.FromMilliseconds(2));
        Assert.Equal(TimeSpan.FromMilliseconds(2), window.P99);
    }
}
