using OrleansDynamo.Client;
using OrleansDynamo.Client.Routing;
using Xunit;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 20: a client gives a silo still joining a small share of the requests it heads (<see cref="SiloEndpoint.JoiningShare"/>,
/// enough to warm its paths, not enough to cost the read-throughs), and once it is up a share that grows from there to all
/// over the ramp (<see cref="SiloEndpoint.CoordinatorShare"/>), so a cold silo does not take a quarter of the load at once.
/// </summary>
public sealed class CoordinatorRampTests
{
    private const long Ramp = 30_000;

    private static readonly ConnectionSettings Settings = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));

    private static SiloEndpoint Endpoint() => new("http://127.0.0.1:1", Settings, new OrleansTransport(Settings));

    [Fact]
    public async Task A_silo_seen_joining_then_up_ramps_from_its_joining_share_to_all_and_one_never_seen_joining_takes_all_at_once()
    {
        await using var steady = Endpoint();
        steady.NoteJoining(false, now: 1_000);
        Assert.Equal(1, steady.CoordinatorShare(1_000, Ramp)); // up since the client first saw it: no ramp

        await using var joined = Endpoint();
        joined.NoteJoining(true, now: 1_000);
        joined.NoteJoining(true, now: 2_000); // still joining in the next ring
        joined.NoteJoining(false, now: 10_000); // up: the ramp starts here
        Assert.Equal(SiloEndpoint.JoiningShare, joined.CoordinatorShare(10_000, Ramp));
        Assert.Equal(SiloEndpoint.JoiningShare + (1 - SiloEndpoint.JoiningShare) / 2, joined.CoordinatorShare(25_000, Ramp), 6);
        Assert.Equal(1, joined.CoordinatorShare(40_000, Ramp));
        joined.NoteJoining(false, now: 41_000); // another ring showing it up does not restart the ramp
        Assert.Equal(1, joined.CoordinatorShare(41_000, Ramp));

        joined.NoteJoining(true, now: 50_000); // a ring (from a silo still sending to it) shows it joining again
        joined.NoteJoining(false, now: 60_000);
        Assert.Equal(SiloEndpoint.JoiningShare, joined.CoordinatorShare(60_000, Ramp));
        Assert.Equal(1, joined.CoordinatorShare(60_000, rampTicks: 0)); // no ramp configured: all at once
    }

    [Fact]
    public async Task A_joining_silo_coordinates_its_small_share_of_the_requests_it_heads_and_the_next_replica_the_rest()
    {
        const int q = 64, n = 3, picks = 20_000;
        string[] statuses = [ClusterSilo.StatusUp, ClusterSilo.StatusUp, ClusterSilo.StatusUp, ClusterSilo.StatusJoining];
        var silos = statuses.Select((status, i) => new ClusterSilo("silo" + i, $"http://127.0.0.1:{1000 + i}", "", "", status, q / 4, 0)).ToArray();
        var ring = new ClusterRing("c", 1, silos, [.. Enumerable.Range(0, q).Select(p => p % 4)], [new Core.Buckets.BucketSettings("default")]);
        var endpoints = silos.Select(s => new SiloEndpoint(s.Address, Settings, new OrleansTransport(Settings))).ToArray();
        try
        {
            var routing = new RoutingState(ring, endpoints, Ramp);
            int headed = Enumerable.Range(0, q).First(p => ring.PreferenceIndices(p, n)[0] == 3);
            int next = ring.PreferenceIndices(headed, n)[1];
            var chosen = new int[silos.Length];
            for (int i = 0; i < picks; i++) chosen[routing.PickCandidate(headed, n, start: i, tried: null, now: 1_000)]++;
            // binomial: 2 % of 20,000 is 400, with a standard deviation of 20
            Assert.InRange(chosen[3], 250, 550);
            Assert.Equal(picks - chosen[3], chosen[next]);

            // up and past its ramp, it takes them all
            var up = new ClusterRing("c", 2, [.. silos.Select(s => s with { Status = ClusterSilo.StatusUp })], ring.Owners, ring.Buckets);
            var after = new RoutingState(up, endpoints, Ramp);
            Assert.Equal(3, after.PickCandidate(headed, n, start: 0, tried: null, now: 1_000));
        }
        finally
        {
            foreach (var endpoint in endpoints) await endpoint.DisposeAsync();
        }
    }
}
