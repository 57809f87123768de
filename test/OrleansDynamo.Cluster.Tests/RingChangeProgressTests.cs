using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using OrleansDynamo.Cli;
using OrleansDynamo.Cli.Output;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Transfer;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 20, item 3: cluster-wide progress of a ring change. `dynamo status` answered by one silo shows every silo's
/// transfers and its part in the change (keys sent and left, rate, partitions to receive), and `dynamo join --wait` /
/// `dynamo leave --wait` return only once every partition has moved. Transfers are held to 200 keys/s per sender so the
/// change lasts long enough to be watched.
/// </summary>
public sealed class RingChangeProgressTests(ITestOutputHelper output)
{
    private const int Keys = 1200;
    private const int N = 2;

    [Fact]
    public async Task Join_and_leave_with_wait_return_once_every_partition_has_moved_and_status_shows_every_silos_transfers_meanwhile()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            Silos = 3,
            PartitionCount = 32,
            N = N,
            R = 1,
            W = N,
            Configure = (_, o) =>
            {
                // About 2 s of sending per old silo: the watcher below must catch each sender with keys left, also when the
                // shared CI machine stalls it for a second.
                o.Transfer.KeysPerSecond = 100;
                o.Transfer.PageSize = 25;
                o.AntiEntropy.ExchangeIntervalMs = 600_000;
            },
        });
        var client = await cluster.CreateClientAsync(null, "silo0");
        for (int batch = 0; batch < Keys; batch += 50)
            await Task.WhenAll(Enumerable.Range(batch, 50).Select(i => client.PutAsync("default", $"k{i}", Encoding.UTF8.GetBytes($"v{i}"))));

        var fresh = await cluster.AddSiloAsync(o =>
        {
            o.AutoJoin = false;
            o.Transfer.KeysPerSecond = 200;
            o.Transfer.PageSize = 25;
            o.AntiEntropy.ExchangeIntervalMs = 600_000;
        });

        // While the join runs, silo0's status is read over and over: what it showed is kept.
        // So is the dashboard's /api/transfers.
        var seen = new ConcurrentBag<ClusterStatus>();
        var pages = new ConcurrentBag<JsonElement>();
        using var http = new HttpClient();
        using var stopWatching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                try
                {
                    seen.Add(await client.GetStatusAsync(cluster[0].GrpcAddress, stopWatching.Token));
                    pages.Add(JsonDocument.Parse(await http.GetStringAsync(cluster[0].HttpAddress + "/api/transfers", stopWatching.Token)).RootElement.Clone());
                    await Task.Delay(50, stopWatching.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        var join = await DynamoAsync("join", "--seed", cluster[0].GrpcAddress, "--wait", "--wait-timeout", "120", "--json", "--endpoint", fresh.GrpcAddress);
        // The instant the command returns, every partition silo3 is a new owner of has reached it.
        var holdings = await HeldAsync(cluster, fresh.Name);
        var streaming = cluster.Running.SelectMany(s => Transfer(s).Transfers()).ToList();
        await stopWatching.CancelAsync();
        await watcher;

        Assert.True(join.Code == 0, join.ToString());
        var answer = JsonDocument.Parse(join.Stdout).RootElement;
        Assert.True(answer.GetProperty("complete").GetBoolean());
        Assert.Equal("up", answer.GetProperty("status").GetString());
        Assert.True(answer.GetProperty("keysSent").GetInt64() > 0, join.Stdout);
        Assert.Empty(Transfer(fresh).InboundPending());
        Assert.True(streaming.Count == 0, $"still streaming after join --wait returned: {string.Join(", ", streaming)}");
        Assert.Equal(holdings.Expected, holdings.Held);
        // --wait also waited for the join to reach every silo's membership.
        foreach (var silo in cluster.Silos) Assert.Equal(MemberStatus.Up, silo.Runtime.Membership.State.Member(fresh.Name)?.Status);
        Assert.True(holdings.Expected > Keys / 4, $"silo3 is a new replica of only {holdings.Expected} keys");

        // silo0's status showed the other silos' transfers and their part in the change, with keys left and a rate.
        var during = seen.Where(s => !s.TransfersComplete).ToList();
        Assert.NotEmpty(during);
        Assert.Contains(during, s => s.Transfers.Any(t => t.FromSilo != "silo0" && t.ToSilo == fresh.Name));
        Assert.Contains(during, s => s.TransferSummaries.Any(r => r.Silo != "silo0" && r.KeysLeft > 0 && r.KeysPerSecond > 0 && r.EtaSeconds > 0));
        Assert.Contains(during, s => s.TransferSummaries.Any(r => r.Silo == fresh.Name && r.PartitionsToReceive > 0));
        Assert.All(seen.SelectMany(s => s.TransferSummaries), r => Assert.True(r.Answered, $"{r.Silo} did not answer a status call"));
        var busyPages = pages.Where(p => !p.GetProperty("complete").GetBoolean()).ToList();
        Assert.Contains(busyPages, p => p.GetProperty("transfers").EnumerateArray().Any(t => t.GetProperty("fromSilo").GetString() != "silo0"));
        Assert.Contains(busyPages, p => p.GetProperty("silos").EnumerateArray().Any(r => r.GetProperty("keysLeft").GetInt64() > 0));

        // A leave with --wait (plain output) returns once silo3 has handed everything off and is marked left.
        var leave = await DynamoAsync("leave", fresh.Name, "--wait", "--wait-timeout", "120", "--endpoint", cluster[0].GrpcAddress);
        var status = await client.GetStatusAsync(cluster[0].GrpcAddress);
        long left = (await fresh.Runtime.Store.SummarizeAllAsync(CancellationToken.None)).Sum(p => p.KeyCount);
        Assert.True(leave.Code == 0, leave.ToString());
        Assert.EndsWith($"{fresh.Name} is left: every partition has moved", leave.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Split(" (")[0]);
        Assert.Equal("left", status.Silos.Single(s => s.Name == fresh.Name).Status);
        Assert.True(status.TransfersComplete);
        Assert.True(status.MembershipAgreed);
        Assert.Equal(0, left);
        foreach (var silo in cluster.Silos.Take(3)) Assert.Equal(MemberStatus.Left, silo.Runtime.Membership.State.Member(fresh.Name)?.Status);
        for (int i = 0; i < Keys; i++)
        {
            foreach (var owner in cluster.PreferenceList("default", $"k{i}", N))
                Assert.True(await cluster.ReadStoreAsync(owner, "default", $"k{i}") is not null, $"k{i} is missing on its owner {owner} after the leave");
        }
    }

    private static OwnershipTransferFeature Transfer(TestSilo silo) => silo.Runtime.Feature<OwnershipTransferFeature>()!;

    /// <summary>How many keys <paramref name="silo"/> is among the first N of, and how many of those its store holds.</summary>
    private static async Task<(int Expected, int Held)> HeldAsync(TestCluster cluster, string silo)
    {
        int expected = 0, held = 0;
        for (int i = 0; i < Keys; i++)
        {
            if (!cluster.PreferenceList("default", $"k{i}", N).Contains(silo)) continue;
            expected++;
            if (await cluster.ReadStoreAsync(silo, "default", $"k{i}") is not null) held++;
        }
        return (expected, held);
    }

    private sealed record CliRun(int Code, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {Code}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    private async Task<CliRun> DynamoAsync(params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        var io = CliConsole.ForStreams(stdout, stderr);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        int code = await CliRunner.RunAsync(args, io, timeout.Token);
        var run = new CliRun(code, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
        output.WriteLine($"$ dynamo {string.Join(' ', args)}\n{run}");
        return run;
    }
}
