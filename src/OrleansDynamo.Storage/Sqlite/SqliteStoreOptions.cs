namespace OrleansDynamo.Storage.Sqlite;

/// <summary>Settings of <see cref="SqlitePartitionStore"/>, with documented defaults.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file's name inside <see cref="DataDirectory"/>.</summary>
    public const string FileName = "silo.db";

    private const long MinWalSizeLimitBytes = 64L * 1024;
    private const long MaxWalSizeLimitBytes = 1L << 40;

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

    /// <summary>
    /// WAL size (pages) at which the writer checkpoints itself inside its commits, a backstop for when the
    /// background checkpointer falls behind. Default 32768 (128 MiB, twice <see cref="WalSizeLimitBytes"/>, so
    /// it stays out of the way of the checkpointer's restarts).
    /// </summary>
    public int WalAutoCheckpointPages { get; set; } = 32768;

    /// <summary>
    /// Bound on the <c>-wal</c> file. When the WAL in use passes it, the background checkpointer
    /// restarts the WAL from its beginning (<c>wal_checkpoint(RESTART)</c>), and the writer's
    /// <c>journal_size_limit</c> (set to this value) truncates the file back to it. The writer starts that
    /// round as soon as it sees the file pass the limit, so the file exceeds it by what is committed while
    /// the round runs, and for as long as a reader holds an old snapshot.
    /// Without restarts a busy store's WAL grows without bound (7 GB after a 1,000,000-key preload).
    /// Default 64 MiB; 64 KiB..1 TiB. With <see cref="CheckpointInterval"/> zero only <c>journal_size_limit</c> applies.
    /// </summary>
    public long WalSizeLimitBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How long a WAL restart, once it has copied every frame, keeps the group-commit writer held between
    /// two batches while it waits for readers of older snapshots to finish their query. If they have not,
    /// the writer is released and the restart is retried one <see cref="CheckpointInterval"/> later. The copy
    /// itself costs about one commit (the frames committed since the last checkpoint, a sync of the WAL and
    /// one of the database file). Default 5 ms; 0..1 s (zero: no waiting).
    /// </summary>
    public TimeSpan WalRestartTimeout { get; set; } = TimeSpan.FromMilliseconds(5);

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
        if (WalSizeLimitBytes is < MinWalSizeLimitBytes or > MaxWalSizeLimitBytes)
            throw new ArgumentException($"SqliteStoreOptions.WalSizeLimitBytes is {WalSizeLimitBytes}; expected {MinWalSizeLimitBytes}..{MaxWalSizeLimitBytes}", nameof(WalSizeLimitBytes));
        if (WalRestartTimeout < TimeSpan.Zero || WalRestartTimeout > TimeSpan.FromSeconds(1))
            throw new ArgumentException($"SqliteStoreOptions.WalRestartTimeout is {WalRestartTimeout}; expected 0..1 s", nameof(WalRestartTimeout));
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
