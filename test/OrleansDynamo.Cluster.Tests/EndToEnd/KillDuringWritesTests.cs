using System.Diagnostics;
using OrleansDynamo.Client;
using Xunit;
using Xunit.Abstractions;

namespace OrleansDynamo.Cluster.Tests.EndToEnd;

/// <summary>
/// Three real silo processes on a shared SQLite membership file (N=3, R=2, W=2, Q=64): one is killed with
/// SIGKILL while a bounded writer runs; no acknowledged write is lost; the killed silo restarts on the same
/// ports and data, takes its hints and is converged by anti-entropy with no client read touching it; then a
/// fresh fourth silo joins and takes its share of the partitions while every acknowledged key stays readable.
/// </summary>
[Collection(RealProcessCollection.Name)]
public sealed class KillDuringWritesTests(ITestOutputHelper output)
{
    private const int PartitionCount = 64;
    private const int ReplicationFactor = 3;
    private const int Keys = 480;
    private const int KillAfterAcks = 120;

    // Hints per target are capped at 40 on every silo, so the ~300 writes taken while the victim is down leave
    // most of its copies to anti-entropy: the restart exercises both hinted handoff and Merkle repair.
    private const int MaxHintsPerTarget = 40;

    private static readonly string[] Settings =
    [
        $"--Silo:PartitionCount={PartitionCount}",
        $"--Silo:Hints:MaxHintsPerTarget={MaxHintsPerTarget}",
        "--Silo:Hints:DeliveryIntervalMs=500",
        "--Silo:Hints:InitialBackoffMs=500",
        "--Silo:Hints:MaxBackoffMs=2000",
        "--Silo:AntiEntropy:ExchangeIntervalMs=2000",
        "--Silo:AntiEntropy:RetryIntervalMs=1000",
        "--Silo:AntiEntropy:TickIntervalMs=250",
        "--Silo:AntiEntropy:MaxConcurrentExchanges=4",
    ];

    [Fact]
    public async Task A_silo_killed_during_writes_loses_no_acknowledged_write_converges_after_restart_and_a_fourth_silo_takes_its_share()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = RealCluster.Sqlite("kill", Settings);
        var silos = cluster.AddLocalCluster(3);
        var (silo1, victim, silo3) = (silos[0], silos[1], silos[2]);
        await cluster.RunAsync(output, async () =>
        {
            foreach (var s in silos) cluster.Start(s);
            await cluster.WaitForUpAsync(silos, silos);
            Step(clock, "three silos up");

            await using var client = await cluster.ConnectAsync();
            Step(clock, "client connected");
            await Eventually.UntilAsync("the client's ring lists three silos", TimeSpan.FromSeconds(20), async () =>
                (await client.RefreshRingAsync()).Silos.Count == 3 ? null : "ring not complete yet");

            // The writer runs on; the victim is killed (SIGKILL) once KillAfterAcks puts were acknowledged.
            var killAt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int acksSoFar = 0;
            var writer = Workload.WriteAsync(client, "kw", Keys, workers: 4, TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(15), acks =>
            {
                Interlocked.Exchange(ref acksSoFar, acks);
                if (acks >= KillAfterAcks) killAt.TrySetResult();
            });
            await Task.WhenAny(killAt.Task, writer);
            if (!killAt.Task.IsCompleted) Assert.Fail($"the writer ended before {KillAfterAcks} puts were acknowledged: {(await writer).FailureSample()}");
            await cluster.KillAsync(victim);
            int ackedAtKill = Volatile.Read(ref acksSoFar);
            Step(clock, $"killed {victim.Name} with SIGKILL after {ackedAtKill} acknowledged puts");
            var log = await writer;
            int acked = log.Acked.Count;
            Step(clock, $"writer done: {log.Attempts} attempts, {acked} acknowledged ({acked - ackedAtKill} after the kill), {log.Failures.Count} failed ({log.FailureSample()})");
            Assert.True(log.Attempts == Keys, $"the writer tried only {log.Attempts} of {Keys} keys in its 40 s");
            // This test is about durability and convergence: it asks most puts after the kill to succeed, not all
            // (LocalClusterKillTests and RedisClusterKillTests ask every put and get to be served with one silo down).
            Assert.True(acked - ackedAtKill >= (Keys - ackedAtKill) * 3 / 4,
                $"with one of three silos down W=2 must go on working, but only {acked - ackedAtKill} puts were acknowledged after the kill: {log.FailureSample()}");

            // No acknowledged write lost: all readable with R=2 from the two survivors (read repair can only reach them).
            var lost = await Workload.CheckReadableAsync(client, log.Acked);
            Assert.True(lost.Count == 0, $"{lost.Count} of {acked} acknowledged writes not readable with R=2 while {victim.Name} is down: {string.Join(" | ", lost.Take(5))}");
            Step(clock, $"all {acked} acknowledged keys read with R=2 while {victim.Name} is down");

            // The survivors keep hints for the victim, and had to drop some over the cap.
            var survivors = new[] { silo1, silo3 };
            ulong waiting = 0, dropped = 0, deliveredBefore = 0, repairedBefore = 0;
            foreach (var s in survivors)
            {
                var status = await cluster.StatusAsync(s);
                waiting += Workload.HintsFor(status, victim.Name);
                dropped += Workload.Counter(status, "hints_dropped:" + victim.Name);
                deliveredBefore += Workload.Counter(status, "hints_delivered:" + victim.Name);
                repairedBefore += Workload.Counter(status, "antientropy_keys_repaired");
            }
            Assert.True(waiting > 0, $"the survivors hold no hints for {victim.Name} after {acked} writes with it down");
            Assert.True(dropped > 0, $"no hint for {victim.Name} was dropped over the cap of {MaxHintsPerTarget}; anti-entropy would have nothing to do");
            Step(clock, $"survivors hold {waiting} hints for {victim.Name}, dropped {dropped}");

            // Restart on the same ports and data; the others see it up again.
            cluster.Start(victim);
            await cluster.WaitForUpAsync([silo1, silo3, victim], silos);
            Step(clock, $"{victim.Name} restarted and up");

            // Its hints arrive: nothing waits for it any more and deliveries were counted.
            await Eventually.UntilAsync($"hints for {victim.Name} delivered", TimeSpan.FromSeconds(30), async () =>
            {
                cluster.ThrowIfAnyDied();
                ulong left = 0, delivered = 0;
                var each = new List<string>();
                foreach (var s in survivors)
                {
                    var status = await cluster.StatusAsync(s);
                    left += Workload.HintsFor(status, victim.Name);
                    delivered += Workload.Counter(status, "hints_delivered:" + victim.Name);
                    each.Add($"{s.Name}: {Workload.HintsFor(status, victim.Name)} waiting, counters {string.Join(" ", status.Counters.Where(c => c.Key.StartsWith("hints", StringComparison.Ordinal) || c.Key.StartsWith("background", StringComparison.Ordinal)).Select(c => $"{c.Key}={c.Value}"))}");
                }
                return left == 0 && delivered > deliveredBefore ? null : $"{left} hints still waiting, {delivered - deliveredBefore} delivered; {string.Join("; ", each)}";
            });
            Step(clock, $"hints for {victim.Name} delivered");

            // Anti-entropy converges it: its own store holds every acknowledged key (replicas view, no read repair).
            var remaining = log.Acked.Keys.ToHashSet(StringComparer.Ordinal);
            await Eventually.UntilAsync($"{victim.Name}'s store holds every acknowledged key", TimeSpan.FromSeconds(60), async () =>
            {
                cluster.ThrowIfAnyDied();
                var (missing, notReplica, sample) = await Workload.MissingOnReplicaAsync(client, victim.Name, remaining, log.Acked);
                if (notReplica > 0) throw new WaitAbortedException($"{notReplica} keys have no replica on {victim.Name}, but with three silos and N=3 every silo holds every key");
                remaining = missing.ToHashSet(StringComparer.Ordinal);
                return remaining.Count == 0 ? null : $"{remaining.Count} of {acked} keys missing, e.g. {sample}";
            }, TimeSpan.FromSeconds(1));
            ulong repairedAfter = 0;
            foreach (var s in silos) repairedAfter += Workload.Counter(await cluster.StatusAsync(s), "antientropy_keys_repaired");
            Assert.True(repairedAfter > repairedBefore, $"{victim.Name} converged but anti-entropy repaired no key ({repairedBefore} before, {repairedAfter} after)");
            Step(clock, $"{victim.Name} holds all {acked} keys; anti-entropy repaired {repairedAfter - repairedBefore}");

            // A fresh fourth silo joins by itself and takes its share while the keys stay readable.
            ulong transfersBefore = 0;
            foreach (var s in silos) transfersBefore += Workload.Counter(await cluster.StatusAsync(s), "transfers_completed");
            var silo4 = cluster.Add("silo4", "silo-config/local-cluster/silo1.json");
            cluster.Start(silo4);
            var all = silos.Append(silo4).ToList();
            using var stopReading = new CancellationTokenSource();
            var reader = ReadWhileAsync(client, log, stopReading.Token);
            try
            {
                await cluster.WaitForUpAsync(all, all);
                Step(clock, "silo4 joined and is up");
                await Eventually.UntilAsync("every transfer to silo4 finished", TimeSpan.FromSeconds(60), async () =>
                {
                    cluster.ThrowIfAnyDied();
                    ulong completed = 0;
                    foreach (var s in all)
                    {
                        var status = await cluster.StatusAsync(s);
                        if (status.Transfers.Count > 0) return $"{s.Name} still transfers {status.Transfers.Count} partitions";
                        if (status.Silos.FirstOrDefault(x => x.Name == silo4.Name)?.Status is { } st && st != ClusterSilo.StatusUp)
                            return $"{s.Name} sees silo4 {st}";
                        completed += Workload.Counter(status, "transfers_completed");
                    }
                    return completed > transfersBefore ? null : "no transfer to silo4 counted as completed yet";
                });
                Step(clock, "transfers to silo4 finished");
            }
            finally
            {
                await stopReading.CancelAsync();
            }
            var (readsDuringJoin, failedDuringJoin, problemsDuringJoin) = await reader;
            output.WriteLine($"during the join: {readsDuringJoin} reads, {failedDuringJoin} failed");
            Assert.True(readsDuringJoin > failedDuringJoin, $"no read succeeded while silo4 joined ({readsDuringJoin} tried)");
            Assert.True(problemsDuringJoin.Count == 0,
                $"{problemsDuringJoin.Count} of {readsDuringJoin} reads during the join lost an acknowledged value: {string.Join(" | ", problemsDuringJoin.Take(5))}");

            using (var view = await cluster.ClusterViewAsync(silo1))
            {
                var me = view.RootElement.GetProperty("silos").EnumerateArray().Single(s => s.GetProperty("name").GetString() == silo4.Name);
                int partitions = me.GetProperty("partitions").GetInt32(), replicas = me.GetProperty("replicas").GetInt32();
                const int share = PartitionCount * ReplicationFactor / 4;
                output.WriteLine($"silo4: {partitions} partitions, {replicas} partition replicas (share {share})");
                Assert.InRange(partitions, PartitionCount / 4 - 4, PartitionCount / 4 + 4);
                Assert.InRange(replicas, share * 2 / 3, share * 4 / 3);
            }

            var missingOn4 = await Workload.MissingOnReplicaAsync(client, silo4.Name, log.Acked.Keys.ToList(), log.Acked);
            Assert.True(missingOn4.Missing.Count == 0, $"after the transfers silo4's store lacks {missingOn4.Missing.Count} keys of its partitions: {missingOn4.Sample}");
            Assert.True(missingOn4.NotReplica < log.Acked.Count, "silo4 is a replica of no acknowledged key");
            var lostAfterJoin = await Workload.CheckReadableAsync(client, log.Acked);
            Assert.True(lostAfterJoin.Count == 0, $"{lostAfterJoin.Count} acknowledged writes not readable after the join: {string.Join(" | ", lostAfterJoin.Take(5))}");
            Step(clock, $"silo4 holds its {log.Acked.Count - missingOn4.NotReplica} keys; all {acked} readable");
        });
    }

    /// <summary>
    /// Reads acknowledged keys round-robin with R=2 until cancelled (at most 20,000); returns the reads done, how
    /// many failed, and every successful read that missed its acknowledged value.
    /// </summary>
    private static async Task<(int Reads, int Failed, List<string> Problems)> ReadWhileAsync(DynamoClient client, WriteLog log, CancellationToken stop)
    {
        await Task.Yield();
        var keys = log.Acked.ToArray();
        var problems = new List<string>();
        int reads = 0, failed = 0;
        var options = new GetOptions { R = 2 };
        while (!stop.IsCancellationRequested && reads < 20_000)
        {
            var (key, value) = keys[reads % keys.Length];
            reads++;
            try
            {
                var result = await client.GetAsync(Workload.Bucket, key, options);
                if (!result.Siblings.Any(s => !s.Deleted && s.ValueAsString == value))
                    problems.Add($"{key}: found={result.Found} siblings=[{string.Join(", ", result.Siblings)}] coordinator {result.Coordinator}");
            }
            catch (DynamoException)
            {
                // A failed read is not a lost write (the full check after the join reads every key again); counted.
                failed++;
            }
        }
        return (reads, failed, problems);
    }

    private void Step(Stopwatch clock, string what) => output.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0.0} s] {what}");
}
