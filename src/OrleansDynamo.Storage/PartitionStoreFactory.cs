using OrleansDynamo.Storage.Log;
using OrleansDynamo.Storage.Memory;
using OrleansDynamo.Storage.Sqlite;

namespace OrleansDynamo.Storage;

/// <summary>Opens the engine a silo's <see cref="StorageOptions"/> names.</summary>
public static class PartitionStoreFactory
{
    /// <summary>
    /// Validates <paramref name="options"/> and opens the store. For SQLite this checks the file
    /// (<see cref="StorageCorruptedException"/> naming it when damaged) before returning; the log engine replays its
    /// data files (refusing, the same way, one that cannot be walked).
    /// </summary>
    public static IPartitionStore Open(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Engine switch
        {
            StorageOptions.MemoryEngine => new InMemoryPartitionStore(new StoreLimits(MaxValueBytes: options.MaxValueBytes)),
            StorageOptions.LogEngine => LogPartitionStore.Open(new LogStoreOptions
            {
                DataDirectory = options.DataDirectory,
                Durability = options.Durability,
                MaxValueBytes = options.MaxValueBytes,
                Warning = options.Warning,
                MergePacer = options.MergePacer,
            }),
            _ => OpenSqlite(options),
        };
    }

    /// <summary>
    /// The SQLite engine, unless the directory holds the log engine's values: SQLite would open it and serve none of
    /// them (the log engine's <c>silo.db</c> holds only hints and metadata), so a wrong engine setting is refused.
    /// </summary>
    private static SqlitePartitionStore OpenSqlite(StorageOptions options)
    {
        string logValues = new LogStoreOptions { DataDirectory = options.DataDirectory }.ValuesDirectory;
        if (File.Exists(LogRecovery.MarkerPath(logValues)))
        {
            throw new StorageEngineMismatchException(
                $"'{Path.GetFullPath(options.DataDirectory)}' holds the log engine's values (in '{logValues}'), which the sqlite engine does not read; " +
                $"open it with Storage.Engine '{StorageOptions.LogEngine}' (a silo's Silo:StorageEngine)");
        }
        return SqlitePartitionStore.Open(new SqliteStoreOptions
        {
            DataDirectory = options.DataDirectory,
            Durability = options.Durability,
            MaxValueBytes = options.MaxValueBytes,
        });
    }
}
