namespace OrleansDynamo.Storage.Log;

/// <summary>Settings of <see cref="LogPartitionStore"/>, with documented defaults.</summary>
public sealed class LogStoreOptions
{
    /// <summary>The folder of the data files inside <see cref="DataDirectory"/>.</summary>
    public const string ValuesFolder = "values";

    private const long MinFileBytes = 4L * 1024;
    private const long MaxFileBytes = 32L * 1024 * 1024 * 1024;

    /// <summary>Directory holding <c>values/</c> and <c>silo.db</c> (hints, metadata, value quarantine); created when missing.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// Full: a write returns once an fsync covering it has completed (concurrent writers share one), and a read never
    /// returns a record whose fsync is still running. Normal: no fsync per write; the data file is flushed every
    /// <see cref="FlushInterval"/>, so a power loss may lose the writes of that last interval (a crash of the process
    /// alone loses nothing: the bytes are in the kernel). Default Full.
    /// </summary>
    public DurabilityMode Durability { get; set; } = DurabilityMode.Full;

    /// <summary>How often Normal durability flushes the data file. Default 1 s; 10 ms..1 min.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A write file is closed and a new one started once it holds this many bytes (a record is never split, so a file
    /// can end past it by one record); merge outputs are cut at the same size. Default 64 MiB; 4 KiB..32 GiB.
    /// </summary>
    public long FileSizeBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// A merge starts when the dead bytes of the closed files are at least this share of their size and at least
    /// <see cref="MergeMinDeadBytes"/>. Default 0.5; above 0, at most 1.
    /// </summary>
    public double MergeDeadShare { get; set; } = 0.5;

    /// <summary>The fewest dead bytes in closed files worth a merge. Default 64 MiB; zero or more.</summary>
    public long MergeMinDeadBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// How fast a merge reads, in bytes a second, so it does not take the disk and a core from the foreground: after each
    /// page (1 MiB) it rests as long as this pace asks. Default 64 MiB/s (a 1 GiB store merges in about 16 s, while
    /// workload A at 10,000 writes/s of 1 KiB appends about 10 MiB/s). Zero: unpaced.
    /// </summary>
    public long MergeBytesPerSecond { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Paces merges by the host's foreground besides <see cref="MergeBytesPerSecond"/>: each 1 MiB page of a merge enters
    /// it first and rests after as its <see cref="IBackgroundPacer.Pace"/> asks, unless the merge is urgent
    /// (<see cref="MergeUrgentDeadShare"/>). A silo passes its admission controller. Default none. Not bound from config.
    /// </summary>
    public IBackgroundPacer? MergePacer { get; set; }

    /// <summary>
    /// A merge whose inputs are at least this share dead ignores <see cref="MergePacer"/> and runs at
    /// <see cref="MergeBytesPerSecond"/> alone, so a foreground that keeps the pacer slow cannot grow the files without
    /// bound: with the default the data files stay under about 3.3 times the live bytes. Default 0.7; above 0, at most 1.
    /// </summary>
    public double MergeUrgentDeadShare { get; set; } = 0.7;

    /// <summary>
    /// How often the merger looks at the dead bytes besides after each file rollover. Default 30 s. Zero: no background
    /// merges (<see cref="LogPartitionStore.MergeAsync"/> still runs one).
    /// </summary>
    public TimeSpan MergeCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest sibling value accepted, in bytes. Default 1 MiB.</summary>
    public int MaxValueBytes { get; set; } = StoreLimits.DefaultMaxValueBytes;

    /// <summary>Largest key accepted, in UTF-8 bytes. Default 1024.</summary>
    public int MaxKeyBytes { get; set; } = Core.Keys.DynamoKey.MaxKeyBytes;

    /// <summary>Runs SQLite's <c>quick_check</c> on <c>silo.db</c> when the store opens. Default true.</summary>
    public bool QuickCheckOnOpen { get; set; } = true;

    /// <summary>
    /// Receives what the store repaired by itself when it opened (a torn last record cut off after a crash) and merge
    /// failures. Default: standard error.
    /// </summary>
    public Action<string>? Warning { get; set; }

    /// <summary>The folder of the data files.</summary>
    public string ValuesDirectory => Path.GetFullPath(Path.Combine(DataDirectory, ValuesFolder));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("LogStoreOptions.DataDirectory must be set", nameof(DataDirectory));
        if (!Enum.IsDefined(Durability))
            throw new ArgumentException($"LogStoreOptions.Durability is {(int)Durability}; expected Full or Normal", nameof(Durability));
        if (FlushInterval < TimeSpan.FromMilliseconds(10) || FlushInterval > TimeSpan.FromMinutes(1))
            throw new ArgumentException($"LogStoreOptions.FlushInterval is {FlushInterval}; expected 10 ms..1 min", nameof(FlushInterval));
        if (FileSizeBytes is < MinFileBytes or > MaxFileBytes)
            throw new ArgumentException($"LogStoreOptions.FileSizeBytes is {FileSizeBytes}; expected {MinFileBytes}..{MaxFileBytes}", nameof(FileSizeBytes));
        if (!(MergeDeadShare > 0 && MergeDeadShare <= 1))
            throw new ArgumentException($"LogStoreOptions.MergeDeadShare is {MergeDeadShare}; expected above 0, at most 1", nameof(MergeDeadShare));
        if (!(MergeUrgentDeadShare > 0 && MergeUrgentDeadShare <= 1))
            throw new ArgumentException($"LogStoreOptions.MergeUrgentDeadShare is {MergeUrgentDeadShare}; expected above 0, at most 1", nameof(MergeUrgentDeadShare));
        if (MergeMinDeadBytes < 0)
            throw new ArgumentException($"LogStoreOptions.MergeMinDeadBytes is {MergeMinDeadBytes}; it must not be negative", nameof(MergeMinDeadBytes));
        if (MergeBytesPerSecond < 0)
            throw new ArgumentException($"LogStoreOptions.MergeBytesPerSecond is {MergeBytesPerSecond}; it must not be negative", nameof(MergeBytesPerSecond));
        if (MergeCheckInterval < TimeSpan.Zero || MergeCheckInterval > TimeSpan.FromDays(1))
            throw new ArgumentException($"LogStoreOptions.MergeCheckInterval is {MergeCheckInterval}; expected 0..1 day", nameof(MergeCheckInterval));
        if (MaxValueBytes <= 0)
            throw new ArgumentException($"LogStoreOptions.MaxValueBytes is {MaxValueBytes}; it must be positive", nameof(MaxValueBytes));
        if (MaxKeyBytes <= 0 || MaxKeyBytes > LogRecord.MaxKeyBytes)
            throw new ArgumentException($"LogStoreOptions.MaxKeyBytes is {MaxKeyBytes}; expected 1..{LogRecord.MaxKeyBytes}", nameof(MaxKeyBytes));
    }
}
