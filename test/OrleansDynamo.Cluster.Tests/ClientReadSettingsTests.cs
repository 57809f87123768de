using OrleansDynamo.Client;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>The settings of client-coordinated reads.</summary>
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
}
