namespace OrleansDynamo.Storage;

/// <summary>
/// The silo's choice of storage engine (section <c>Storage</c> of a silo config). Validated by
/// <see cref="Validate"/>, which names the field at fault.
/// </summary>
public sealed class StorageOptions
{
    /// <summary>The durable SQLite engine (the default).</summary>
    public const string SqliteEngine = "sqlite";

    /// <summary>The in-memory engine: no disk, data lost on stop.</summary>
    public const string MemoryEngine = "memory";

    /// <summary>
    /// The log-structured engine (Bitcask-like): values appended once to data files under <c>values/</c>, a key
    /// directory in memory, merges in the background; hints and metadata in <c>silo.db</c>.
    /// </summary>
    public const string LogEngine = "log";

    /// <summary><c>"sqlite"</c> (default), <c>"memory"</c> or <c>"log"</c>.</summary>
    public string Engine { get; set; } = SqliteEngine;

    /// <summary>Directory holding <c>silo.db</c> (and <c>values/</c> for the log engine); created when missing. Default <c>./data</c>.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>How hard writes are pushed to disk. Default <see cref="DurabilityMode.Full"/>.</summary>
    public DurabilityMode Durability { get; set; } = DurabilityMode.Full;

    /// <summary>Largest sibling value accepted, in bytes. Default 1 MiB.</summary>
    public int MaxValueBytes { get; set; } = StoreLimits.DefaultMaxValueBytes;

    /// <summary>
    /// Receives what a durable engine repaired by itself or failed at in the background (the log engine: a torn last
    /// record cut off at open, a merge that failed), for the host's log. Default: standard error. Not bound from config.
    /// </summary>
    public Action<string>? Warning { get; set; }

    /// <summary>
    /// Paces the log engine's merges by the host's foreground (<see cref="Log.LogStoreOptions.MergePacer"/>); the silo passes
    /// its admission controller. Default none. Not bound from config.
    /// </summary>
    public IBackgroundPacer? MergePacer { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Engine is not (SqliteEngine or MemoryEngine or LogEngine))
            throw new ArgumentException($"Storage.Engine is '{Engine}'; expected '{SqliteEngine}', '{MemoryEngine}' or '{LogEngine}'", nameof(Engine));
        if (Engine is SqliteEngine or LogEngine && string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException($"Storage.DataDirectory must be set for the {Engine} engine", nameof(DataDirectory));
        if (!Enum.IsDefined(Durability))
            throw new ArgumentException($"Storage.Durability is {(int)Durability}; expected Full or Normal", nameof(Durability));
        if (MaxValueBytes <= 0)
            throw new ArgumentException($"Storage.MaxValueBytes is {MaxValueBytes}; it must be positive", nameof(MaxValueBytes));
    }
}
