using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Simulation.Workload;

public enum OperationKind
{
    Get,
    /// <summary>A put carrying the context of the client's last read of the key.</summary>
    Put,
    /// <summary>A put without a context.</summary>
    BlindPut,
    Delete,
}

public enum OperationOutcome
{
    Pending,
    /// <summary>Acknowledged by the silo.</summary>
    Ok,
    /// <summary>Failed or timed out: it may or may not have landed somewhere.</summary>
    Failed,
}

/// <summary>One client operation as the client saw it; the checkers' view of history.</summary>
public sealed class OperationRecord
{
    public required int Id { get; init; }
    public required int Client { get; init; }
    public required OperationKind Kind { get; init; }
    public required string Key { get; init; }
    public required string Silo { get; init; }

    /// <summary>The written value (unique per operation), or null for gets and deletes.</summary>
    public string? Value { get; init; }

    /// <summary>For a write: the context it carried (empty for blind puts). For a get: the context it returned.</summary>
    public required VectorClock Input { get; set; }

    public required long StartTicks { get; init; }
    public long EndTicks { get; set; }
    public OperationOutcome Outcome { get; set; }
    public string? Error { get; set; }

    /// <summary>For an acknowledged write: the dot of the sibling it made (coordinator, its counter in the returned context).</summary>
    public Dot? Dot { get; set; }

    /// <summary>For a get: the values it returned.</summary>
    public IReadOnlyList<string>? ReadValues { get; set; }

    public bool IsWrite => Kind != OperationKind.Get;

    public override string ToString()
    {
        string what = Kind switch
        {
            OperationKind.Get => $"get {Key}",
            OperationKind.Delete => $"delete {Key} ctx{Input}",
            OperationKind.BlindPut => $"blind-put {Key}={Value}",
            _ => $"put {Key}={Value} ctx{Input}",
        };
        string result = Outcome switch
        {
            OperationOutcome.Ok when Kind == OperationKind.Get => $"ok [{string.Join(",", ReadValues ?? [])}]",
            OperationOutcome.Ok => $"ok dot {Dot}",
            OperationOutcome.Failed => "failed: " + Error,
            _ => "pending",
        };
        return $"op{Id} c{Client}@{Silo} {what} -> {result}";
    }
}
