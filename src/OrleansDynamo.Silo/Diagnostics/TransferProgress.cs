using Orleans;

namespace OrleansDynamo.Silo.Diagnostics;

/// <summary>
/// One partition moving between silos, as `dynamo status` shows it: keys sent so far in this change and, when the
/// sender knows it, <paramref name="KeysTotal"/>, the keys the partition held when the sender planned the transfer.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TransferProgress(
    [property: Id(0)] int Partition,
    [property: Id(1)] string FromSilo,
    [property: Id(2)] string ToSilo,
    [property: Id(3)] long KeysSent,
    [property: Id(4)] string State,
    [property: Id(5)] long KeysTotal = 0);

/// <summary>
/// One silo's part in the ring change under way: the partitions it still has to send (<paramref name="Outbound"/>
/// lists those started), keys sent in this change and keys left (estimated from the partitions' key counts when
/// planned), its sending rate over the last seconds, the partitions it waits to receive, and its admission pace
/// (the share of time its transfers may run; 1: full speed). <paramref name="Answered"/> false: the silo did not answer.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SiloTransfers(
    [property: Id(0)] string Silo,
    [property: Id(1)] IReadOnlyList<TransferProgress> Outbound,
    [property: Id(2)] int PartitionsToSend,
    [property: Id(3)] long KeysSent,
    [property: Id(4)] long KeysLeft,
    [property: Id(5)] double KeysPerSecond,
    [property: Id(6)] int PartitionsToReceive,
    [property: Id(7)] double Pace = 1,
    [property: Id(8)] bool Answered = true,
    [property: Id(9)] string Membership = "")
{
    /// <summary>Seconds until this silo has sent what it has left at its current rate; null when idle or not sending yet.</summary>
    public double? EtaSeconds => KeysLeft > 0 && KeysPerSecond > 0 ? KeysLeft / KeysPerSecond : null;

    /// <summary>True when the silo neither sends nor waits for anything.</summary>
    public bool Idle => Answered && PartitionsToSend == 0 && PartitionsToReceive == 0;
}

/// <summary>A background service that moves partitions reports its transfers through this.</summary>
public interface ITransferReporter
{
    IReadOnlyList<TransferProgress> Transfers();

    /// <summary>True while <paramref name="silo"/>, newly joined, still receives partitions (as this silo sees it).</summary>
    bool IsJoining(string silo) => false;
}
