namespace OrleansDynamo.Client;

/// <summary>
/// A partition moving between silos (ownership transfer after a join or leave); <paramref name="KeysTotal"/>: the keys it held
/// when the sender planned the transfer (0: not known).
/// </summary>
public sealed record TransferInfo(int Partition, string FromSilo, string ToSilo, ulong KeysSent, string State, ulong KeysTotal = 0);

/// <summary>
/// One silo's part in the ring change under way: partitions and keys it has left to send (keys estimated), keys sent in this
/// change, its rate over the last 10 s, the partitions it waits to receive, and its pace (the share of time its transfers
/// may run: below 1 while its foreground p99 is high). <paramref name="Answered"/> false: it did not answer the status call.
/// <paramref name="Membership"/>: a digest of the silo's membership history, equal on two silos that agree on the members
/// (empty from a silo that does not report it).
/// </summary>
public sealed record SiloTransferSummary(string Silo, int PartitionsToSend, ulong KeysSent, ulong KeysLeft, double KeysPerSecond, int PartitionsToReceive,
    double Pace, bool Answered, string Membership = "")
{
    /// <summary>Seconds until the silo has sent what it has left at its current rate; null when it has nothing left or no rate yet.</summary>
    public double? EtaSeconds => KeysLeft > 0 && KeysPerSecond > 0 ? KeysLeft / KeysPerSecond : null;

    /// <summary>Answered, with nothing to send and nothing to receive.</summary>
    public bool Idle => Answered && PartitionsToSend == 0 && PartitionsToReceive == 0;
}

/// <summary>
/// A silo's process: uptime since its silo started, version, CPU (percent of the whole machine since the last sample),
/// working set and managed heap, garbage collections per generation and their total pause.
/// </summary>
public sealed record SiloProcess(
    double UptimeSeconds, string Version, double CpuPercent, ulong WorkingSetBytes, ulong GcHeapBytes,
    uint Gen0Collections, uint Gen1Collections, uint Gen2Collections, double GcPauseSeconds, uint ProcessorCount);

/// <summary>What one silo reports about itself and the cluster.</summary>
public sealed class ClusterStatus
{
    public ClusterStatus(
        string silo,
        IReadOnlyList<ClusterSilo> silos,
        IReadOnlyList<TransferInfo> transfers,
        IReadOnlyDictionary<string, ulong> hintsWaiting,
        IReadOnlyDictionary<string, ulong> counters,
        SiloProcess? process = null,
        IReadOnlyList<SiloTransferSummary>? transferSummaries = null)
    {
        Process = process;
        TransferSummaries = transferSummaries ?? [];
        Silo = silo;
        Silos = silos;
        Transfers = transfers;
        HintsWaiting = hintsWaiting;
        Counters = counters;
    }

    /// <summary>The name of the silo that answered.</summary>
    public string Silo { get; }

    /// <summary>Every silo as the answering silo sees it.</summary>
    public IReadOnlyList<ClusterSilo> Silos { get; }

    /// <summary>Ownership transfers under way, of every silo the answering silo reached.</summary>
    public IReadOnlyList<TransferInfo> Transfers { get; }

    /// <summary>Each active silo's part in the ring change under way (empty from a silo that does not report them).</summary>
    public IReadOnlyList<SiloTransferSummary> TransferSummaries { get; }

    /// <summary>
    /// True when every active silo answered and none has anything left to send or receive: a join or leave is complete.
    /// False while any silo sends or waits, or did not answer.
    /// </summary>
    public bool TransfersComplete => TransferSummaries.Count > 0 && TransferSummaries.All(s => s.Idle) && Transfers.Count == 0;

    /// <summary>
    /// True when every silo that is up (as the answering silo sees them) reported the same membership: the ring change has
    /// reached all of them, so none still counts a leaving silo as an owner or misses a joined one. A silo that has left
    /// is not asked to agree (the others stop telling it about the cluster).
    /// </summary>
    public bool MembershipAgreed
    {
        get
        {
            var up = Silos.Where(s => s.Status == ClusterSilo.StatusUp).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            var reports = TransferSummaries.Where(s => up.Contains(s.Silo)).ToList();
            return reports.Count == up.Count && reports.All(s => s.Answered) && reports.Select(s => s.Membership).Distinct(StringComparer.Ordinal).Count() == 1;
        }
    }

    /// <summary>The ring change is over everywhere: every silo idle (<see cref="TransfersComplete"/>) and in agreement (<see cref="MembershipAgreed"/>).</summary>
    public bool RingChangeComplete => TransfersComplete && MembershipAgreed;

    /// <summary>Hinted writes waiting on the answering silo, by target silo.</summary>
    public IReadOnlyDictionary<string, ulong> HintsWaiting { get; }

    /// <summary>Named counters of the answering silo (hints_stored, read_repairs, ...).</summary>
    public IReadOnlyDictionary<string, ulong> Counters { get; }

    /// <summary>The answering silo's process; null from a silo that does not report it.</summary>
    public SiloProcess? Process { get; }
}
