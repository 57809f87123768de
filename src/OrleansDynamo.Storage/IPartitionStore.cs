using OrleansDynamo.Core.Keys;
using OrleansDynamo.Core.Versioning;

namespace OrleansDynamo.Storage;

/// <summary>
/// The one door to a silo's data (Dynamo §5: pluggable local persistence). All partitions of a silo
/// live behind one store. Callers serialize access per key (the partition grain does) and pass
/// sibling sets already merged with the core's versioning rules; the store only persists them.
/// Implementations: <c>SqlitePartitionStore</c> (durable, default), <c>LogPartitionStore</c> (durable, log-structured)
/// and <c>InMemoryPartitionStore</c>.
/// </summary>
public interface IPartitionStore : IAsyncDisposable
{
    /// <summary>A key's stored sibling set, or null when the key is absent.</summary>
    /// <exception cref="UndecodableValueException">the stored bytes do not decode; the exception carries the row as found,
    /// for <see cref="QuarantineAsync"/>. Wrong data is never returned.</exception>
    ValueTask<SiblingSet?> ReadAsync(int partition, DynamoKey key, CancellationToken cancellationToken = default);

    /// <summary>Replaces a key's sibling set atomically. Durable on return in <see cref="DurabilityMode.Full"/>.</summary>
    /// <exception cref="StorageLimitException">the key or a value is over its limit; nothing is written.</exception>
    ValueTask WriteAsync(int partition, DynamoKey key, SiblingSet siblings, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes a key outright (tombstone garbage collection). When <paramref name="expected"/> is given, removes
    /// only if the stored set still equals it (a stored value that does not decode equals nothing); returns whether a
    /// row was removed.
    /// </summary>
    ValueTask<bool> RemoveAsync(int partition, DynamoKey key, SiblingSet? expected = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of a partition's keys in ascending key-hash order (ties by bucket, then key), starting
    /// strictly after <paramref name="after"/> (null: from the start). Pages stay correct under
    /// concurrent writes: every key present for the whole scan is returned exactly once. A value whose stored bytes
    /// do not decode never makes the scan throw: it is left out of <see cref="PartitionPage.Entries"/> and reported in
    /// <see cref="PartitionPage.Undecodable"/>; it counts toward <paramref name="pageSize"/> and the cursor moves past it.
    /// </summary>
    ValueTask<PartitionPage> ScanAsync(int partition, ScanCursor? after, int pageSize, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves the value <paramref name="value"/> names (its partition, stored key hash and key) out of the partition
    /// into the quarantine in one atomic step, exactly as stored, with the reason it does not decode and
    /// <paramref name="quarantinedAtMs"/>; the key is absent from then on. Only while its bytes still do not decode:
    /// null when the key was written again meanwhile, removed, or already quarantined.
    /// </summary>
    ValueTask<QuarantinedValue?> QuarantineAsync(UndecodableValue value, long quarantinedAtMs, CancellationToken cancellationToken = default);

    /// <summary>Quarantined values with id greater than <paramref name="afterId"/>, oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<QuarantinedValue>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default);

    /// <summary>Deletes every key of a partition (after its ownership moved away).</summary>
    ValueTask DropPartitionAsync(int partition, CancellationToken cancellationToken = default);

    /// <summary>Key count and bytes of one partition.</summary>
    ValueTask<PartitionSummary> SummarizeAsync(int partition, CancellationToken cancellationToken = default);

    /// <summary>Summaries of every partition holding at least one key.</summary>
    ValueTask<IReadOnlyList<PartitionSummary>> SummarizeAllAsync(CancellationToken cancellationToken = default);

    /// <summary>The durable hint log of this silo (sloppy quorum writes waiting for their intended silo).</summary>
    IHintLog Hints { get; }

    /// <summary>Small durable named blobs: membership history, ring, reminder state.</summary>
    IMetadataStore Metadata { get; }
}

/// <summary>How hard a write is pushed to disk before it returns.</summary>
public enum DurabilityMode
{
    /// <summary>fsync before the write returns (group commit shares one fsync among concurrent writes).</summary>
    Full = 0,
    /// <summary>
    /// no fsync per write: SQLite syncs its WAL at checkpoints only, the log engine its data file every second; a power
    /// loss may lose the latest writes (a crash of the process alone loses none).
    /// </summary>
    Normal = 1,
}

/// <summary>Where a scan stopped: the last key returned.</summary>
public readonly record struct ScanCursor(KeyHash Hash, string Bucket, string Key);

public sealed record StoredEntry(DynamoKey Key, KeyHash Hash, SiblingSet Siblings);

public sealed record PartitionPage(IReadOnlyList<StoredEntry> Entries, ScanCursor? Next)
{
    /// <summary>Rows of the page whose stored bytes do not decode, in scan order; left out of <see cref="Entries"/>.</summary>
    public IReadOnlyList<UndecodableValue> Undecodable { get; init; } = [];

    /// <summary>True when the scan has reached the end of the partition.</summary>
    public bool IsLast => Next is null;
}

public readonly record struct PartitionSummary(int Partition, long KeyCount, long Bytes);

/// <summary>A write taken by a stand-in for <paramref name="TargetSilo"/> (Dynamo §4.6).</summary>
public sealed record Hint(string TargetSilo, int Partition, DynamoKey Key, SiblingSet Siblings, long CreatedAtMs);

public sealed record StoredHint(long Id, Hint Hint);

public interface IHintLog
{
    /// <summary>Appends a hint durably and returns its id (ids grow monotonically).</summary>
    ValueTask<long> AppendAsync(Hint hint, CancellationToken cancellationToken = default);

    /// <summary>
    /// The rows for one target with id greater than <paramref name="afterId"/>, oldest first, at most <paramref name="max"/>,
    /// split into hints that decode and rows that do not (with their raw bytes and why). A row's bytes never make it throw.
    /// </summary>
    ValueTask<HintPage> ReadPageAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hints that decode for one target with id greater than <paramref name="afterId"/>, oldest first, at most
    /// <paramref name="max"/>; rows that do not decode are passed over (<see cref="ReadPageAsync"/> reports them).
    /// </summary>
    async ValueTask<IReadOnlyList<StoredHint>> ListAsync(string targetSilo, long afterId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var hints = new List<StoredHint>();
        while (hints.Count < max)
        {
            int wanted = max - hints.Count;
            var page = await ReadPageAsync(targetSilo, afterId, wanted, cancellationToken);
            hints.AddRange(page.Hints);
            if (page.Count < wanted) break;
            afterId = page.LastId;
        }
        return hints;
    }

    /// <summary>Deletes delivered (or dropped) hints; unknown ids are ignored.</summary>
    ValueTask DeleteAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves the row <paramref name="id"/> out of the log into the quarantine in one atomic step, exactly as stored
    /// (raw bytes, target, partition, key, creation time), with <paramref name="reason"/> and the time of the move.
    /// False when the log holds no such row (already delivered, dropped or quarantined).
    /// </summary>
    ValueTask<bool> QuarantineAsync(long id, string reason, long quarantinedAtMs, CancellationToken cancellationToken = default);

    /// <summary>Quarantined hints with id greater than <paramref name="afterId"/>, oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<QuarantinedHint>> ListQuarantinedAsync(long afterId, int max, CancellationToken cancellationToken = default);

    /// <summary>Number of hints waiting, per target silo (quarantined hints are not counted).</summary>
    ValueTask<IReadOnlyDictionary<string, long>> CountByTargetAsync(CancellationToken cancellationToken = default);
}

public interface IMetadataStore
{
    ValueTask<byte[]?> GetAsync(string name, CancellationToken cancellationToken = default);

    ValueTask SetAsync(string name, byte[] value, CancellationToken cancellationToken = default);

    ValueTask<bool> DeleteAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A key or value over its limit; nothing was written.</summary>
public sealed class StorageLimitException(string message) : ArgumentException(message);

/// <summary>
/// The disk under a data file is full (SQLite's SQLITE_FULL): the write was not stored, nothing already stored is
/// harmed, and writes succeed again once space is freed. The message names the file.
/// </summary>
public sealed class StorageFullException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// A data file is damaged or not ours; the store refuses to open. The message names the file. A single stored value
/// that does not decode is the narrower <see cref="UndecodableValueException"/>.
/// </summary>
public class StorageCorruptedException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The data directory holds the values of another storage engine (a silo whose <c>StorageEngine</c> setting changed):
/// the engine refuses to open rather than start empty beside data it cannot read. The message names the directory or
/// file and the engine to use. Nothing is damaged.
/// </summary>
public sealed class StorageEngineMismatchException(string message) : StorageCorruptedException(message);

/// <summary>
/// The data directory or file cannot be created, read or written (a path that is a file, no permission, a read-only
/// file system); the store does not open. The message names the path and the reason.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
