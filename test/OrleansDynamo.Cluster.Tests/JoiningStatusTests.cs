using System.Text;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.Silo.Transfer;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 20: a silo shows a new member "joining" until that member has received every partition, from every sender, not
/// only until this silo has sent its own share. Clients read the ring from any silo and start a silo's coordinator ramp
/// when it stops showing joining, so a sender that finished first must not end the join for them.
/// </summary>
public sealed class JoiningStatusTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_sender_that_finished_first_shows_the_new_silo_joining_until_it_has_received_from_every_sender()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 2,
            PartitionCount = 8,
            N = 2,
            R = 1,
            W = 2,
            Configure = (_, o) =>
            {
                o.Transfer.IntervalMs = 100;
                o.Transfer.KeysPerSecond = 1;
                o.Transfer.PageSize = 1;
                o.AntiEntropy.Enabled = false; // only the transfer may move keys here
            },
        });
        foreach (int i in Enumerable.Range(0, 80))
            await cluster[0].Runtime.Coordinator.PutAsync(new PutCommand("default", $"joining-{i}", Encoding.UTF8.GetBytes("v"), null, W: 2), CancellationToken.None);

        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(15));
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(joined).InboundPending().Count > 0), TimeSpan.FromSeconds(15),
            $"{joined.Name} to see its inbound transfers");

        // The sender with less to send finishes at once; the other keeps sending at a key a second.
        var senders = new List<(TestSilo Silo, int ToSend)>();
        foreach (var silo in new[] { cluster[0], cluster[1] }) senders.Add((silo, (await Transfer(silo).ReportAsync(CancellationToken.None)).PartitionsToSend));
        var (fast, slow) = senders[0].ToSend <= senders[1].ToSend ? (senders[0].Silo, senders[1].Silo) : (senders[1].Silo, senders[0].Silo);
        Assert.True((await Transfer(slow).ReportAsync(CancellationToken.None)).PartitionsToSend > 0, $"{slow.Name} has nothing to send to {joined.Name}");
        fast.Runtime.Options.Transfer.KeysPerSecond = 100_000;
        fast.Runtime.Options.Transfer.PageSize = 100;
        await TestCluster.WaitUntilAsync(async () => (await Transfer(fast).ReportAsync(CancellationToken.None)).PartitionsToSend == 0, TimeSpan.FromSeconds(15),
            $"{fast.Name} to finish sending");

        string StatusSeenBy(TestSilo viewer) => viewer.Runtime.StatusOf(viewer.Runtime.Membership.State.Member(joined.Name)!, showJoining: true);
        // Asked twice over more than a second: the second answer comes from what the new silo itself said.
        Assert.Equal("joining", StatusSeenBy(fast));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        int pending = Transfer(joined).InboundPending().Count;
        Assert.True(pending > 0, $"{slow.Name} finished before the check; the test needs it still sending");
        Assert.Equal("joining", StatusSeenBy(fast));
        output.WriteLine($"{fast.Name} had sent everything and still showed {joined.Name} joining, {pending} partitions still inbound from {slow.Name}");

        slow.Runtime.Options.Transfer.KeysPerSecond = 100_000;
        slow.Runtime.Options.Transfer.PageSize = 100;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(Transfer(joined).InboundPending().Count == 0), TimeSpan.FromSeconds(30),
            $"{joined.Name} to receive every partition");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(StatusSeenBy(fast) == "up" && StatusSeenBy(slow) == "up" && StatusSeenBy(joined) == "up"),
            TimeSpan.FromSeconds(15), $"every silo to show {joined.Name} up");
    }

    private static OwnershipTransferFeature Transfer(TestSilo silo) => silo.Runtime.Feature<OwnershipTransferFeature>()!;
}
