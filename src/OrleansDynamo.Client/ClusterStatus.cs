namespace OrleansDynamo.Client;

/// <summary>A partition moving between silos (ownership transfer after a join or leave).</summary>
public sealed record TransferInfo(int Partition, string FromSilo, string ToSilo, ulong KeysSent, string State);

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
        SiloProcess? process = null)
    {
        Process = process;
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

    /// <summary>Ownership transfers under way.</summary>
    public IReadOnlyList<TransferInfo> Transfers { get; }

    /// <summary>Hinted writes waiting on the answering silo, by target silo.</summary>
    public IReadOnlyDictionary<string, ulong> HintsWaiting { get; }

    /// <summary>Named counters of the answering silo (hints_stored, read_repairs, ...).</summary>
    public IReadOnlyDictionary<string, ulong> Counters { get; }

    /// <summary>The answering silo's process; null from a silo that does not report it.</summary>
    public SiloProcess? Process { get; }
}
