namespace OrleansDynamo.Storage.Faults;

/// <summary>The hint log of a <see cref="FaultInjectingPartitionStore"/>.</summary>
internal sealed class FaultInjectingHintLog(IHintLog inner, FaultInjectingPartitionStore owner) : IHintLog
{
    public ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.HintAppend);
        return inner.AppendAsync(hint, cancellationToken);
    }

    public ValueTask<HintPage> ReadPageAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.HintList);
        return inner.ReadPageAsync(targetSilo, afterId, max, cancellationToken);
    }

    public ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.HintDelete);
        return inner.DeleteAsync(ids, cancellationToken);
    }

    public ValueTask<bool> QuarantineAsync(long id, string reason, long quarantinedAtMs, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.HintQuarantine);
        return inner.QuarantineAsync(id, reason, quarantinedAtMs, cancellationToken);
    }

    public ValueTask<IReadOnlyList<QuarantinedHint>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.HintQuarantineList);
        return inner.ListQuarantinedAsync(afterId, max, cancellationToken);
    }

    public ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.HintCount);
        return inner.CountByTargetAsync(cancellationToken);
    }
}

/// <summary>The metadata store of a <see cref="FaultInjectingPartitionStore"/>.</summary>
internal sealed class FaultInjectingMetadataStore(IMetadataStore inner, FaultInjectingPartitionStore owner) : IMetadataStore
{
    public ValueTask<byte[]?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.MetadataGet);
        return inner.GetAsync(name, cancellationToken);
    }

    public ValueTask SetAsync(string name, byte[] value, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.MetadataSet);
        return inner.SetAsync(name, value, cancellationToken);
    }

    public ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        owner.Check(StoreOperation.MetadataDelete);
        return inner.DeleteAsync(name, cancellationToken);
    }
}
