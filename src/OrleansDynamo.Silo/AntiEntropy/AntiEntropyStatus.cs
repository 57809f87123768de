namespace OrleansDynamo.Silo.AntiEntropy;

/// <summary>How one exchange ended. Shown, not stored.</summary>
public enum ExchangeOutcome
{
    /// <summary>The roots matched: nothing to repair.</summary>
    InSync,
    /// <summary>Differing keys were found and reconciled both ways.</summary>
    Repaired,
    /// <summary>The peer's tree is still being built; retried soon.</summary>
    PeerNotReady,
    /// <summary>This tree or the peer's is in another exchange; retried soon.</summary>
    Busy,
    /// <summary>No other replica is reachable (or N is 1).</summary>
    NoPeer,
    /// <summary>A call failed or the tree was dropped; retried soon.</summary>
    Failed,
}

/// <summary>One exchange of tree <paramref name="Tree"/> with <paramref name="Peer"/>.</summary>
public sealed record ExchangeResult(
    TreeId Tree,
    string? Peer,
    ExchangeOutcome Outcome,
    int DifferingSegments,
    int KeysRepaired,
    long Bytes,
    int TombstonesRemoved,
    TimeSpan Elapsed,
    string? Detail)
{
    public bool Ran => Outcome is ExchangeOutcome.InSync or ExchangeOutcome.Repaired;

    public override string ToString() =>
        $"{Tree} with {Peer ?? "-"}: {Outcome}, {DifferingSegments} segment(s), {KeysRepaired} key(s) repaired, {Bytes} bytes, " +
        $"{TombstonesRemoved} tombstone(s) removed in {Elapsed.TotalMilliseconds:0} ms{(Detail is null ? "" : " (" + Detail + ")")}";
}

/// <summary>One tree on this silo, for `dynamo status` and the dashboard.</summary>
public sealed record TreeStatus(
    TreeId Tree,
    string State,
    long Keys,
    long Tombstones,
    DateTimeOffset? LastExchange,
    string? LastPeer,
    string? LastOutcome,
    long Exchanges,
    long KeysRepaired,
    long Bytes,
    DateTimeOffset? NextDue);

/// <summary>Anti-entropy on one silo: totals since start and every tree it holds or builds.</summary>
public sealed record AntiEntropyStatus(
    long Exchanges,
    long KeysRepaired,
    long BytesExchanged,
    long TombstonesRemoved,
    int TreesBuilding,
    int TreesReady,
    IReadOnlyList<TreeStatus> Trees);

/// <summary>What `dynamo repair` did: the exchanges that finished in time, and how many go on.</summary>
public sealed record RepairReport(string Silo, IReadOnlyList<ExchangeResult> Finished, int StillRunning)
{
    public int KeysRepaired => Finished.Sum(r => r.KeysRepaired);

    public long Bytes => Finished.Sum(r => r.Bytes);

    public string Describe()
    {
        int ran = Finished.Count(r => r.Ran);
        var text = $"{Silo}: {Finished.Count} exchange(s) finished ({ran} ran, {Finished.Count(r => r.Outcome == ExchangeOutcome.Repaired)} repaired), " +
            $"{KeysRepaired} key(s) repaired, {Bytes} bytes exchanged, {Finished.Sum(r => r.TombstonesRemoved)} tombstone(s) removed";
        int skipped = Finished.Count - ran;
        if (skipped > 0) text += $"; {skipped} skipped ({string.Join(", ", Finished.Where(r => !r.Ran).GroupBy(r => r.Outcome).Select(g => $"{g.Count()} {g.Key}"))})";
        if (StillRunning > 0) text += $"; {StillRunning} still running";
        if (Finished.Count <= 8)
        {
            foreach (var r in Finished) text += "\n  " + r;
        }
        return text;
    }
}

/// <summary>Counter names of anti-entropy in <see cref="Diagnostics.SiloCounters"/>.</summary>
public static class AntiEntropyCounters
{
    public const string Exchanges = "antientropy_exchanges";
    public const string KeysRepaired = "antientropy_keys_repaired";
    public const string Bytes = "antientropy_bytes";
    public const string TombstonesRemoved = "antientropy_tombstones_removed";
    public const string TreesBuilt = "antientropy_trees_built";

    /// <summary>Trees made ready at start from the snapshot saved at the last graceful stop, with no scan of the store.</summary>
    public const string TreesRestored = "antientropy_trees_restored";

    /// <summary>Milliseconds tree builds rested to follow the admission pace.</summary>
    public const string BuildRestedMs = "antientropy_build_rested_ms";

    /// <summary>A gauge (goes up and down): builds running now.</summary>
    public const string TreesBuilding = "antientropy_trees_building";
}
