namespace OrleansDynamo.Client;

/// <summary>
/// One anti-entropy exchange of a repair: the silo's Merkle tree of one partition replica compared with the same tree on
/// one peer replica, and the key differences reconciled (both ways).
/// </summary>
/// <param name="Partition">The partition.</param>
/// <param name="N">The tree's N (the buckets with this N share a tree).</param>
/// <param name="Peer">The peer replica's silo; empty when none was reachable.</param>
/// <param name="Outcome"><see cref="InSync"/>, <see cref="Repaired"/>, or why it did not run (<see cref="PeerNotReady"/>,
/// <see cref="Busy"/>, <see cref="NoPeer"/>, <see cref="Failed"/>).</param>
/// <param name="DifferingSegments">Leaf ranges whose hashes differed.</param>
/// <param name="KeysRepaired">Key differences reconciled.</param>
/// <param name="Bytes">Bytes exchanged.</param>
/// <param name="TombstonesRemoved">Tombstones removed (held by every replica past the grace period).</param>
/// <param name="Elapsed">How long the exchange took.</param>
/// <param name="Detail">Why it did not run, when it did not; else empty.</param>
public sealed record RepairExchange(int Partition, int N, string Peer, string Outcome, int DifferingSegments, int KeysRepaired, long Bytes,
    int TombstonesRemoved, TimeSpan Elapsed, string Detail)
{
    public const string InSync = "in-sync", Repaired = "repaired", PeerNotReady = "peer-not-ready", Busy = "busy", NoPeer = "no-peer", Failed = "failed";

    /// <summary>True when the trees were compared (in sync or repaired).</summary>
    public bool Ran => Outcome is InSync or Repaired;
}

/// <summary>What a repair did on one silo: the exchanges that finished within its repair wait, and its own summary text.</summary>
/// <param name="Silo">The silo that ran the exchanges.</param>
/// <param name="Exchanges">Every exchange that finished, in partition order.</param>
/// <param name="StillRunning">Exchanges started that had not finished when the silo answered.</param>
/// <param name="Message">The silo's summary as text.</param>
public sealed record RepairResult(string Silo, IReadOnlyList<RepairExchange> Exchanges, int StillRunning, string Message)
{
    /// <summary>Exchanges that compared the trees (in sync or repaired).</summary>
    public int Compared => Exchanges.Count(e => e.Ran);

    /// <summary>Exchanges that found their replicas in sync.</summary>
    public int InSync => Exchanges.Count(e => e.Outcome == RepairExchange.InSync);

    /// <summary>Exchanges that reconciled differences.</summary>
    public int Repaired => Exchanges.Count(e => e.Outcome == RepairExchange.Repaired);

    /// <summary>Exchanges that could not run (no peer, peer not ready, busy, failed).</summary>
    public int NotRun => Exchanges.Count(e => !e.Ran);

    public int KeysRepaired => Exchanges.Sum(e => e.KeysRepaired);

    public long Bytes => Exchanges.Sum(e => e.Bytes);

    public int TombstonesRemoved => Exchanges.Sum(e => e.TombstonesRemoved);
}
