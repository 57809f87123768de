using OrleansDynamo.Storage.Memory;
using OrleansDynamo.Storage.Sqlite;

namespace OrleansDynamo.Storage;

/// <summary>Opens the engine a silo's <see cref="StorageOptions"/> names.</summary>
public static class PartitionStoreFactory
{
    /// <summary>
    /// Validates <paramref name="options"/> and opens the store. For SQLite this checks the file
    /// (<see cref="StorageCorruptedException"/> naming it when damaged) before returning.
    /// </summary>
    public static IPartitionStore Open(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Engine switch
        {
            StorageOptions.MemoryEngine => new InMemoryPartitionStore(new StoreLimits(MaxValueBytes: options.MaxValueBytes)),
            _ => SqlitePartitionStore.Open(new SqliteStoreOptions
            {
                DataDirectory = options.DataDirectory,
                Durability = options.Durability,
                MaxValueBytes = options.MaxValueBytes,
            }),
        };
    }
}
