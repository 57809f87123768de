using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

public sealed class ZzDebugTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Debug()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { Silos = 2, WaitForConvergence = false, LogLevel = Microsoft.Extensions.Logging.LogLevel.Debug });
        await Task.Delay(4000);
        foreach (var s in cluster.Silos)
        {
            var m = s.App!.Services.GetRequiredService<IClusterMembershipService>();
            output.WriteLine($"{s.Name}: orleans sees " + string.Join(",", m.CurrentSnapshot.Members.Values.Select(x => $"{x.Name}/{x.Status}/{x.SiloAddress}")));
            output.WriteLine($"{s.Name}: seeds " + string.Join(",", s.Runtime.Membership.Seeds()) + " gossip rounds " + s.Runtime.Membership.GossipRounds);
        }
        try
        {
            var r = await cluster[0].Runtime.Transport.SendAsync("silo1", new OrleansDynamo.Silo.Membership.GossipRequest("test", "", "silo0", "x", default, null), TimeSpan.FromSeconds(5), CancellationToken.None);
            output.WriteLine("gossip ok " + r.Silo);
        }
        catch (Exception e) { output.WriteLine(e.ToString()); }
    }
}
