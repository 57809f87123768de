using System.Text;
using OrleansDynamo.Client;
using OrleansDynamo.Core.Membership;
using OrleansDynamo.Silo.Admission;
using OrleansDynamo.Silo.Coordination;
using OrleansDynamo.TestingHost;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>
/// Issue 16: silos on the log-structured engine (<c>StorageEngine = "log"</c>) under the whole cluster. A silo killed and
/// restarted finds every value it acknowledged (its key directory is rebuilt from the data files); a join streams
/// partitions out of it (scans) and a leave drops them (partition drops), with no acknowledged write lost and nothing
/// left on the silo that left.
/// </summary>
public sealed class LogEngineClusterTests(ITestOutputHelper output)
{
    private const int Q = 16;
    private const int N = 3;

    private static TestClusterOptions Options() => new()
    {
        Silos = 3,
        PartitionCount = Q,
        N = N,
        StorageEngine = "log",
        Configure = (_, o) =>
        {
            o.Transfer.IntervalMs = 200;
            o.Transfer.KeysPerSecond = 20_000;
        },
    };

    private static async Task PutAllAsync(TestCluster cluster, IEnumerable<KeyValuePair<string, string>> values, int w)
    {
        var coordinator = cluster[0].Runtime.Coordinator;
        foreach (var (key, value) in values)
            await coordinator.PutAsync(new PutCommand("default", key, Encoding.UTF8.GetBytes(value), null, W: w), CancellationToken.None);
    }

    private static string Text(Core.Versioning.SiblingSet? set) =>
        set is { Siblings.Length: 1 } ? Encoding.UTF8.GetString(set.Siblings[0].Value) : $"<{(set is null ? 0 : set.Siblings.Length)} siblings>";

    /// <summary>
    /// Issue 20: a silo's log engine merges under the silo's admission control: its store's merge pacer takes
    /// <see cref="BackgroundWork.LogMerge"/> slots from the silo's controller and follows its pace.
    /// </summary>
    [Fact]
    public async Task Issue_20_a_silos_log_engine_paces_its_merges_by_the_silos_admission_controller()
    {
        var options = Options();
        var configure = options.Configure!;
        // No adjustments during the test: the pace then moves only when paced work starts, so what is read here is stable.
        options.Configure = (index, o) =>
        {
            configure(index, o);
            o.Admission.AdjustIntervalMs = 600_000;
        };
        await using var cluster = await TestCluster.StartAsync(options);
        var runtime = cluster[0].Runtime;
        var store = Assert.IsType<Storage.Log.LogPartitionStore>(runtime.Store);
        var pacer = Assert.IsType<StoreMergePacer>(store.MergePacer);
        var admission = Assert.IsType<AdmissionController>(runtime.Admission);

        using (pacer.Enter(CancellationToken.None))
        {
            var status = admission.Status();
            Assert.Equal(1, status.InUseByKind[BackgroundWork.LogMerge]);
            Assert.Equal(status.Pace, pacer.Pace);
        }
        Assert.False(admission.Status().InUseByKind.ContainsKey(BackgroundWork.LogMerge));
    }

    [Fact]
    public async Task A_cluster_on_the_log_engine_keeps_every_acknowledged_write_through_a_kill_a_join_and_a_leave()
    {
        await using var cluster = await TestCluster.StartAsync(Options());
        var values = Enumerable.Range(0, 400).ToDictionary(i => $"k-{i}", i => $"first-{i}");
        await PutAllAsync(cluster, values, w: N);

        // A kill: no stop, no flush. The restarted silo rebuilds its key directory from its data files.
        await cluster.KillSiloAsync("silo2");
        await cluster.RestartSiloAsync("silo2");
        foreach (var (key, value) in values)
            Assert.Equal(value, Text(await cluster.ReadStoreAsync("silo2", "default", key)));

        // Overwrites after the restart land in the same files the directory was rebuilt from.
        foreach (var key in values.Keys.Take(100).ToList()) values[key] = "second-" + key;
        await PutAllAsync(cluster, values.Take(100), w: N);
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(20));

        var client = await cluster.CreateClientAsync();
        var joined = await cluster.AddSiloAsync();
        await cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(20));
        await cluster.WaitForTransfersAsync(TimeSpan.FromSeconds(60));
        long onJoined = (await joined.Runtime.Store.SummarizeAllAsync()).Sum(s => s.KeyCount);
        Assert.True(onJoined > 0, "the joined silo received nothing");

        await client.LeaveAsync("silo0");
        var leaver = cluster.Silo("silo0").Runtime;
        await TestCluster.WaitUntilAsync(() => Task.FromResult(cluster.Running.All(s => s.Runtime.Membership.State.Member("silo0")?.Status == MemberStatus.Left)),
            TimeSpan.FromSeconds(60), "silo0 to hand off everything and be recorded as left everywhere");
        await TestCluster.WaitUntilAsync(async () => (await leaver.Store.SummarizeAllAsync()).Sum(s => s.KeyCount) == 0,
            TimeSpan.FromSeconds(30), "silo0 to drop every partition it handed off");

        var remaining = cluster.Running.Where(s => s.Name != "silo0").Select(s => s.Name).ToArray();
        var reader = await cluster.CreateClientAsync(null, remaining);
        foreach (var (key, value) in values)
        {
            var got = await reader.GetAsync("default", key, new GetOptions { R = N });
            Assert.True(got.Found && got.Siblings.Any(s => s.ValueAsString == value), $"{key}: expected {value}");
        }
        output.WriteLine($"{values.Count} keys; {onJoined} replicas on {joined.Name} after the join; silo0 holds none after the leave");
    }
}
