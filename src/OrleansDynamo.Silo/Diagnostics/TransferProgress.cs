namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>One partition moving between silos, as `dynamo status` shows it.</summary>
public sealed record TransferProgress(int Partition, string FromSilo, string ToSilo, long KeysSent, string State);

/// <summary>A background service that moves partitions reports its transfers through this.</summary>
public interface ITransferReporter
{
    IReadOnlyList<TransferProgress> Transfers();

    /// <summary>True while <paramref name="silo"/>, newly joined, still receives partitions (as this silo sees it).</summary>
    bool IsJoining(string silo) => false;
}
