namespace OrleansDynamo.Storage.Sqlite;

/// <summary>Settings of <see cref="SqlitePartitionStore"/>, with documented defaults.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file's name inside <see cref="DataDirectory"/>.</summary>
    public const string FileName = "silo.db";

    /// <summary>Directory holding <c>silo.db</c>; created when missing.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Full: every acknowledged write is fsynced (shared by a group commit). Default Full.</summary>
    public DurabilityMode Durability { get; set; } = DurabilityMode.Full;

    /// <summary>Most writes applied in one transaction. Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// Longest extra wait for more writes before committing a batch smaller than the previous one
    /// (its writers are likely to return). A lone writer never waits. Default 200 µs; zero disables.
    /// </summary>
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.FromMicroseconds(200);

    /// <summary>
    /// How long the background checkpointer waits after a commit before copying WAL pages into the
    /// database file. Default 100 ms. Zero disables it (SQLite then checkpoints inside commits).
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>WAL size (pages) at which the writer checkpoints itself, a backstop. Default 16384 (64 MiB).</summary>
    public int WalAutoCheckpointPages { get; set; } = 16384;

    /// <summary>Page cache of the write connection, in KiB. Default 16384 (16 MiB).</summary>
    public int WriteCacheKiB { get; set; } = 16384;

    /// <summary>Connections kept for concurrent reads (WAL readers do not block the writer). Default 4.</summary>
    public int ReadConnections { get; set; } = 4;

    /// <summary>Largest sibling value accepted, in bytes. Default 1 MiB.</summary>
    public int MaxValueBytes { get; set; } = StoreLimits.DefaultMaxValueBytes;

    /// <summary>Largest key accepted, in UTF-8 bytes. Default 1024.</summary>
    public int MaxKeyBytes { get; set; } = Core.Keys.DynamoKey.MaxKeyBytes;

    /// <summary>Run <c>PRAGMA quick_check</c> on open (reads the whole file once). Default true.</summary>
    public bool QuickCheckOnOpen { get; set; } = true;

    /// <summary>The database file path.</summary>
    public string DatabasePath => Path.GetFullPath(Path.Combine(DataDirectory, FileName));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("SqliteStoreOptions.DataDirectory must be set", nameof(DataDirectory));
        if (!Enum.IsDefined(Durability))
            throw new ArgumentException($"SqliteStoreOptions.Durability is {(int)Durability}; expected Full or Normal", nameof(Durability));
        if (MaxBatchSize is < 1 or > 100_000)
            throw new ArgumentException($"SqliteStoreOptions.MaxBatchSize is {MaxBatchSize}; expected 1..100000", nameof(MaxBatchSize));
        if (GroupCommitWindow < TimeSpan.Zero || GroupCommitWindow > TimeSpan.FromSeconds(1))
            throw new ArgumentException($"SqliteStoreOptions.GroupCommitWindow is {GroupCommitWindow}; expected 0..1 s", nameof(GroupCommitWindow));
        if (CheckpointInterval < TimeSpan.Zero || CheckpointInterval > TimeSpan.FromSeconds(10))
            throw new ArgumentException($"SqliteStoreOptions.CheckpointInterval is {CheckpointInterval}; expected 0..10 s", nameof(CheckpointInterval));
        if (WalAutoCheckpointPages is < 100 or > 1_000_000)
            throw new ArgumentException($"SqliteStoreOptions.WalAutoCheckpointPages is {WalAutoCheckpointPages}; expected 100..1000000", nameof(WalAutoCheckpointPages));
        if (WriteCacheKiB is < 256 or > 4_194_304)
            throw new ArgumentException($"SqliteStoreOptions.WriteCacheKiB is {WriteCacheKiB}; expected 256..4194304", nameof(WriteCacheKiB));
        if (ReadConnections is < 1 or > 256)
            throw new ArgumentException($"SqliteStoreOptions.ReadConnections is {ReadConnections}; expected 1..256", nameof(ReadConnections));
        if (MaxValueBytes <= 0)
            throw new ArgumentException($"SqliteStoreOptions.MaxValueBytes is {MaxValueBytes}; it must be positive", nameof(MaxValueBytes));
        if (MaxKeyBytes <= 0)
            throw new ArgumentException($"SqliteStoreOptions.MaxKeyBytes is {MaxKeyBytes}; it must be positive", nameof(MaxKeyBytes));
    }
}
