using System.Text;
using OrleansDynamo.Silo.Hosting;
using OrleansDynamo.TestingHost;

namespace OrleansDynamo.Cluster.Tests;

/// <summary>Shared set-up of the always-writeable tests: short gossip and hint intervals, and polling helpers.</summary>
internal static class AlwaysWriteableCluster
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TestClusterOptions Options(int silos, Action<int, SiloOptions>? configure = null) => new()
    {
        Silos = silos,
        GossipIntervalMs = 200,
        Configure = (i, o) =>
        {
            o.Hints.DeliveryIntervalMs = 200;
            o.Hints.InitialBackoffMs = 200;
            o.Hints.MaxBackoffMs = 1000;
            configure?.Invoke(i, o);
        },
    };

    /// <summary>Waits until <paramref name="observer"/>'s failure detector judges every one of <paramref name="silos"/> unreachable.</summary>
    public static Task WaitUnreachableAsync(TestCluster cluster, string observer, params string[] silos) =>
        TestCluster.WaitUntilAsync(
            () => Task.FromResult(silos.All(s => !cluster.Silo(observer).Runtime.Detector.IsReachable(s))),
            Bound, $"{observer} to judge {string.Join(", ", silos)} unreachable");

    /// <summary>Hints waiting on a running silo for <paramref name="target"/>.</summary>
    public static async Task<long> HintsForAsync(TestCluster cluster, string holder, string target) =>
        (await cluster.Silo(holder).Runtime.Store.Hints.CountByTargetAsync()).GetValueOrDefault(target);

    /// <summary>Hints waiting on every running silo, for any target.</summary>
    public static async Task<long> AllHintsAsync(TestCluster cluster)
    {
        long total = 0;
        foreach (var s in cluster.Running) total += (await s.Runtime.Store.Hints.CountByTargetAsync()).Values.Sum();
        return total;
    }

    /// <summary>True when <paramref name="silo"/>'s store holds exactly the live values <paramref name="values"/> for the key.</summary>
    public static async Task<bool> StoreHoldsAsync(TestCluster cluster, string silo, string key, params string[] values)
    {
        var stored = await cluster.ReadStoreAsync(silo, "default", key);
        if (stored is null) return false;
        var live = stored.Siblings.Where(s => !s.Tombstone).Select(s => Encoding.UTF8.GetString(s.Value)).Order(StringComparer.Ordinal);
        return live.SequenceEqual(values.Order(StringComparer.Ordinal));
    }
}
