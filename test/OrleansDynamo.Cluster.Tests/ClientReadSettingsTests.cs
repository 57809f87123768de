using OrleansDynamo.Client;
using OrleansDynamo.Client.Routing;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>The settings of client-coordinated reads, and the latency window their speculation waits by.</summary>
public sealed class ClientReadSettingsTests
{
    private static DynamoClientOptions Seeded() => new() { Seeds = { "http://127.0.0.1:1" } };

    [Fact]
    public void Bad_read_settings_are_refused_by_name()
    {
        var negative = Seeded();
        negative.AllReplicaReadsBelow = -1;
        var error = Assert.Throws<ArgumentException>(() => new DynamoClient(negative));
        Assert.Contains("AllReplicaReadsBelow: must not be negative, got -1", error.Message);

        foreach (var delay in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(-5) })
        {
            var bad = Seeded();
            bad.ReadSpeculationDelay = delay;
            error = Assert.Throws<ArgumentException>(() => new DynamoClient(bad));
            Assert.Contains("ReadSpeculationDelay: must be positive or infinite", error.Message);
        }

        var fine = Seeded();
        (fine.AllReplicaReadsBelow, fine.ReadSpeculationDelay) = (0, Timeout.InfiniteTimeSpan);
        fine.Validate();
        (fine.AllReplicaReadsBelow, fine.ReadSpeculationDelay) = (int.MaxValue, TimeSpan.FromMilliseconds(1));
        fine.Validate();
    }

    [Fact]
    public void The_window_has_no_p99_until_it_is_filled_a_first_time_then_follows_the_latest_reads()
    {
        var window = new LatencyWindow();
        for (int i = 1; i < LatencyWindow.Every; i++) window.Record(TimeSpan.FromMilliseconds(i));
        Assert.Null(window.P99);
        window.Record(TimeSpan.FromMilliseconds(LatencyWindow.Every));
        // 128 reads of 1..128 ms: the 127th is the p99.
        Assert.Equal(TimeSpan.FromMilliseconds(127), window.P99);

        // A full window of 1 ms reads: with under 1 % of them at 50 ms the p99 is 1 ms, with 2 % it is 50 ms.
        for (int i = 0; i < LatencyWindow.Size; i++) window.Record(TimeSpan.FromMilliseconds(i % 128 == 0 ? 50 : 1));
        Assert.Equal(TimeSpan.FromMilliseconds(1), window.P99);
        for (int i = 0; i < LatencyWindow.Size; i++) window.Record(TimeSpan.FromMilliseconds(i % 50 == 0 ? 50 : 1));
        Assert.Equal(TimeSpan.FromMilliseconds(50), window.P99);

        // The oldest reads leave the window: after a full window of fast reads the slow ones no longer count.
        for (int i = 0; i < LatencyWindow.Size; i++) window.Record(TimeSpan.FromMilliseconds(2));
        Assert.Equal(TimeSpan.FromMilliseconds(2), window.P99);
    }
}
