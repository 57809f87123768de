namespace OrleansDynamo.Storage;

/// <summary>A hint log that passes every call to <see cref="Inner"/>: the base of decorators, which override only the calls they change.</summary>
public class DelegatingHintLog(IHintLog inner) : IHintLog
{
    protected IHintLog Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public virtual ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default) =>
        Inner.AppendAsync(hint, cancellationToken);

    public virtual ValueTask<HintPage> ReadPageAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default) =>
        Inner.ReadPageAsync(targetSilo, afterId, max, cancellationToken);

    public virtual ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(ids, cancellationToken);

    public virtual ValueTask<bool> QuarantineAsync(long id, string reason, long quarantinedAtMs, CancellationToken cancellationToken = default) =>
        Inner.QuarantineAsync(id, reason, quarantinedAtMs, cancellationToken);

    public virtual ValueTask<IReadOnlyList<QuarantinedHint>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default) =>
        Inner.ListQuarantinedAsync(afterId, max, cancellationToken);

    public virtual ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default) =>
        Inner.CountByTargetAsync(cancellationToken);
}
