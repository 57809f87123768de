using OrleansDynamo.Client.Routing;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 20: a client that saw a silo joining gives it, once up, a share of the requests it heads that grows from none
/// to all over the ramp (<see cref="SiloEndpoint.CoordinatorShare"/>), so a cold silo does not take a quarter of the load at once.
/// </summary>
public sealed class CoordinatorRampTests
{
    private const long Ramp = 30_000;

    private static SiloEndpoint Endpoint() =>
        new("http://127.0.0.1:1", new ConnectionSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));

    [Fact]
    public async Task A_silo_seen_joining_then_up_ramps_from_none_to_all_and_one_never_seen_joining_takes_all_at_once()
    {
        await using var steady = Endpoint();
        steady.NoteJoining(false, now: 1_000);
        Assert.Equal(1, steady.CoordinatorShare(1_000, Ramp)); // up since the client first saw it: no ramp

        await using var joined = Endpoint();
        joined.NoteJoining(true, now: 1_000);
        joined.NoteJoining(true, now: 2_000); // still joining in the next ring
        joined.NoteJoining(false, now: 10_000); // up: the ramp starts here
        Assert.Equal(0, joined.CoordinatorShare(10_000, Ramp));
        Assert.Equal(0.5, joined.CoordinatorShare(25_000, Ramp), 6);
        Assert.Equal(1, joined.CoordinatorShare(40_000, Ramp));
        joined.NoteJoining(false, now: 41_000); // another ring showing it up does not restart the ramp
        Assert.Equal(1, joined.CoordinatorShare(41_000, Ramp));

        joined.NoteJoining(true, now: 50_000); // a ring (from a silo still sending to it) shows it joining again
        joined.NoteJoining(false, now: 60_000);
        Assert.Equal(0, joined.CoordinatorShare(60_000, Ramp));
        Assert.Equal(1, joined.CoordinatorShare(60_000, rampTicks: 0)); // no ramp configured: all at once
    }
}
