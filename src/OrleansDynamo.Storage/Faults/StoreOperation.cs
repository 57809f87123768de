namespace OrleansDynamo.Storage.Faults;

/// <summary>The operation names a <see cref="FaultInjectingPartitionStore"/> passes to its injector.</summary>
public static class StoreOperation
{
    public const string Read = "read";
    public const string Write = "write";
    public const string Remove = "remove";
    public const string Scan = "scan";
    public const string DropPartition = "drop";
    public const string Summarize = "summarize";
    public const string Quarantine = "quarantine";
    public const string QuarantineList = "quarantine.list";
    public const string HintAppend = "hint.append";
    public const string HintList = "hint.list";
    public const string HintDelete = "hint.delete";
    public const string HintCount = "hint.count";
    public const string HintQuarantine = "hint.quarantine";
    public const string HintQuarantineList = "hint.quarantine.list";
    public const string MetadataGet = "meta.get";
    public const string MetadataSet = "meta.set";
    public const string MetadataDelete = "meta.delete";

    /// <summary>Operations that change stored state.</summary>
    public static readonly IReadOnlySet<string> Writes = new HashSet<string>(StringComparer.Ordinal)
    {
        Write, Remove, DropPartition, Quarantine, HintAppend, HintDelete, HintQuarantine, MetadataSet, MetadataDelete,
    };

    /// <summary>True for operations that only read.</summary>
    public static bool IsRead(string operation) => !Writes.Contains(operation);
}

/// <summary>A failure injected on purpose by a <see cref="FaultInjectingPartitionStore"/>.</summary>
public sealed class InjectedStorageFaultException(string operation)
    : IOException($"injected storage fault on '{operation}'")
{
    public string Operation { get; } = operation;
}
