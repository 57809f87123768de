using OrleansDynamo.Storage.Log;
using OrleansDynamo.Storage.Memory;
using OrleansDynamo.Storage.Sqlite;
using Xunit;
using static OrleansDynamo.Storage.Tests.TestData;

namespace OrleansDynamo.Storage.Tests;

public sealed class PartitionStoreFactoryTests
{
    [Fact]
    public async Task Opens_the_named_engine()
    {
        string dir = TempDirectory();
        try
        {
            await using (var sqlite = PartitionStoreFactory.Open(new StorageOptions { DataDirectory = dir, Durability = DurabilityMode.Normal }))
                Assert.IsType<SqlitePartitionStore>(sqlite);
            await using var memory = PartitionStoreFactory.Open(new StorageOptions { Engine = "memory" });
            Assert.IsType<InMemoryPartitionStore>(memory);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Fact]
    public async Task Opens_the_log_engine_with_its_values_beside_silo_db()
    {
        string dir = TempDirectory();
        try
        {
            await using (var store = PartitionStoreFactory.Open(new StorageOptions { Engine = "log", DataDirectory = dir, Durability = DurabilityMode.Normal, MaxValueBytes = 10 }))
            {
                var log = Assert.IsType<LogPartitionStore>(store);
                Assert.Equal(Path.Combine(Path.GetFullPath(dir), "values"), log.ValuesDirectory);
                await store.WriteAsync(1, Key("k"), Value("v"));
                await Assert.ThrowsAsync<StorageLimitException>(async () => await store.WriteAsync(1, Key("big"), Value(new byte[11])));
            }
            Assert.Single(Directory.GetFiles(Path.Combine(dir, "values"), "*.data"));
            Assert.True(File.Exists(Path.Combine(dir, "silo.db")));

            // The host's warning sink reaches the engine: a torn tail cut at open is reported there.
            string data = Directory.GetFiles(Path.Combine(dir, "values"), "*.data").Single();
            File.AppendAllText(data, "torn");
            var warnings = new List<string>();
            await using (PartitionStoreFactory.Open(new StorageOptions { Engine = "log", DataDirectory = dir, Warning = warnings.Add }))
                Assert.Contains(warnings, w => w.Contains(data, StringComparison.Ordinal));
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Fact]
    public async Task A_directory_of_the_log_engine_is_refused_by_the_sqlite_engine_and_one_of_the_sqlite_engine_by_the_log_engine()
    {
        string logDir = TempDirectory(), sqliteDir = TempDirectory();
        try
        {
            await using (var log = PartitionStoreFactory.Open(new StorageOptions { Engine = "log", DataDirectory = logDir, Durability = DurabilityMode.Normal }))
                await log.WriteAsync(1, Key("k"), Value("v"));
            var wrong = Assert.Throws<StorageEngineMismatchException>(() => PartitionStoreFactory.Open(new StorageOptions { Engine = "sqlite", DataDirectory = logDir }));
            Assert.Contains("holds the log engine's values", wrong.Message);
            Assert.Contains("'log'", wrong.Message);
            await using (var log = PartitionStoreFactory.Open(new StorageOptions { Engine = "log", DataDirectory = logDir, Durability = DurabilityMode.Normal }))
                Assert.Equal(Value("v"), await log.ReadAsync(1, Key("k"))); // refusing wrote nothing

            await using (var sqlite = PartitionStoreFactory.Open(new StorageOptions { Engine = "sqlite", DataDirectory = sqliteDir, Durability = DurabilityMode.Normal }))
                await sqlite.WriteAsync(1, Key("k"), Value("v"));
            Assert.Throws<StorageEngineMismatchException>(() => PartitionStoreFactory.Open(new StorageOptions { Engine = "log", DataDirectory = sqliteDir }));
        }
        finally
        {
            DeleteDirectory(logDir);
            DeleteDirectory(sqliteDir);
        }
    }

    [Fact]
    public void Unknown_engine_is_refused_naming_the_field()
    {
        var error = Assert.Throws<ArgumentException>(() => PartitionStoreFactory.Open(new StorageOptions { Engine = "rocks" }));
        Assert.Contains("Storage.Engine", error.Message);
        Assert.Contains("'sqlite', 'memory' or 'log'", error.Message);
    }

    [Fact]
    public void The_log_engine_needs_a_data_directory()
    {
        var error = Assert.Throws<ArgumentException>(() => PartitionStoreFactory.Open(new StorageOptions { Engine = "log", DataDirectory = " " }));
        Assert.Contains("Storage.DataDirectory", error.Message);
    }
}
