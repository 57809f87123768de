using OrleansDynamo.Client;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>What one kill round saw: the acknowledged writes, and every put or get the survivors did not serve.</summary>
internal sealed record KillRound(SiloProcess Victim, WriteLog Writes, IReadOnlyList<string> Unserved);

/// <summary>The kill–serve–restart round the real-process fault tests share.</summary>
internal static class KillRounds
{
    /// <summary>
    /// Kills <paramref name="victim"/> with SIGKILL; at once the remaining silos are asked to acknowledge
    /// <paramref name="puts"/> new puts with W=2 (two workers, each failure timed from the kill) and to read each
    /// acknowledged one back with R=2; then the victim restarts on the same ports and data and every silo (the victim
    /// included) must see every silo up again. Puts and gets the survivors did not serve are returned rather than
    /// asserted, so that one run shows the whole sequence; the caller asserts there were none.
    /// </summary>
    public static async Task<KillRound> KillServeRestartAsync(RealCluster cluster, DynamoClient client, SiloProcess victim, int puts, Action<string> step)
    {
        await cluster.KillAsync(victim);
        step($"killed {victim.Name} with SIGKILL");

        var log = await Workload.WriteAsync(client, $"down-{victim.Name}-{victim.Incarnations.Count}", puts, workers: 2, TimeSpan.FromSeconds(30), TimeSpan.Zero);
        var unserved = log.Failures.Select(f => $"put {f}").ToList();
        unserved.AddRange((await Workload.CheckReadableAsync(client, log.Acked)).Select(p => $"get {p}"));
        step($"{victim.Name} down: {log.Acked.Count} of {puts} puts (W=2) acknowledged, {unserved.Count} puts or gets not served");

        cluster.Start(victim);
        var everyone = cluster.Silos.Where(s => s.Process is not null).ToList();
        var observers = everyone.Where(s => s != victim).Append(victim).ToList();
        var took = await cluster.WaitForUpAsync(observers, everyone);
        step($"{victim.Name} restarted; every silo sees [{string.Join(", ", everyone.Select(s => s.Name))}] up ({took.TotalSeconds:0.0} s)");
        return new KillRound(victim, log, unserved);
    }

    /// <summary>Null when every round served everything, else one line per round that did not.</summary>
    public static string? Unserved(IEnumerable<KillRound> rounds)
    {
        var bad = rounds.Where(r => r.Unserved.Count > 0)
            .Select(r => $"{r.Victim.Name} down: {r.Unserved.Count} not served (first: {string.Join(" | ", r.Unserved.Take(3))})").ToList();
        return bad.Count == 0 ? null : string.Join("\n", bad);
    }
}
